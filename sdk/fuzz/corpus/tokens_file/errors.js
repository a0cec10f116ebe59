var edgekv_access_tokens = {
  "namespace-x": { name: 1 },
  "namespace-y": "not an object",
  "namespace-z": { name: 'unterminated
