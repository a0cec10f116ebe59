var edgekv_access_tokens = {
  "namespace-default": {
    "name": "my_token",
    "reference": "fa3a7ae0-1234-4c52-9a3e-f0638c6b7466"
  }
};
export { edgekv_access_tokens };
