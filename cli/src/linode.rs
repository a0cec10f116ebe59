//! `aksdk linode`: child accounts, proxy tokens, and any operation of the Linode API.

use std::pin::pin;

use akamai_sdk::generated::linode::operations::ALL;
use akamai_sdk::generated::Operation;
use akamai_sdk::linode::{
    ApiVersion, ChildAccountField, ChildAccountFilter, ChildClient, Euuid, LinodeClient,
    MAX_PAGE_SIZE, TOKEN_ENV_VARS,
};
use akamai_sdk::raw::{RawAnswer, RawCall};
use akamai_sdk::ExposeSecret;
use futures::TryStreamExt;
use serde_json::{json, Value};

use crate::args::{ApiVersionArg, CallArgs, ChildAccountsCommand, Global, LinodeCommand, Output};
use crate::failure::Failure;
use crate::output::{self, JsonArray, Table};

pub(crate) async fn run(global: &Global, command: LinodeCommand) -> Result<(), Failure> {
    match command {
        LinodeCommand::ChildAccounts(command) => child_accounts(global, command).await,
        LinodeCommand::Call(args) => call(global, args).await,
        LinodeCommand::Operations { output } => operations(output),
    }
}

/// The parent client: the token of `LINODE_TOKEN` (or `LINODE_CLI_TOKEN`), the base URL of
/// `--api-url` or of `--api-version`.
fn client(global: &Global) -> Result<LinodeClient, Failure> {
    let token = TOKEN_ENV_VARS
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .ok_or_else(|| {
            Failure::usage(
                "no Linode token: set LINODE_TOKEN (or LINODE_CLI_TOKEN) to a personal access \
                 token of a parent-account user",
            )
        })?;
    let version = match global.api_version {
        ApiVersionArg::V4 => ApiVersion::V4,
        ApiVersionArg::V4beta => ApiVersion::V4Beta,
    };
    let mut builder = LinodeClient::builder()
        .token(token)
        .api_version(version)
        .http_config(crate::http_config());
    if let Some(url) = &global.api_url {
        builder = builder.base_url(url);
    }
    Ok(builder.build()?)
}

fn euuid(text: &str) -> Result<Euuid, Failure> {
    Ok(Euuid::new(text)?)
}

/// The columns of the child-account table.
const CHILD_COLUMNS: &[&str] = &[
    "EUUID",
    "COMPANY",
    "EMAIL",
    "CITY",
    "COUNTRY",
    "ACTIVE SINCE",
];

async fn child_accounts(global: &Global, command: ChildAccountsCommand) -> Result<(), Failure> {
    let parent = client(global)?;
    match command {
        ChildAccountsCommand::List { company, output } => {
            let mut request = parent.child_accounts().page_size(MAX_PAGE_SIZE);
            if let Some(company) = company {
                request = request
                    .filter(&ChildAccountFilter::new().eq(ChildAccountField::Company, company));
            }
            let mut accounts = pin!(request.stream());
            if output.json {
                let mut array = JsonArray::start(output::stdout())?;
                while let Some(account) = accounts.try_next().await? {
                    array.push(&account)?;
                }
                array.finish()?;
            } else {
                // Only the cells are kept, not the accounts.
                let mut table = Table::new(CHILD_COLUMNS);
                let text = |s: &Option<String>| s.clone().unwrap_or_default();
                while let Some(account) = accounts.try_next().await? {
                    table.row([
                        text(&account.euuid),
                        text(&account.company),
                        text(&account.email),
                        text(&account.city),
                        text(&account.country),
                        account
                            .active_since
                            .as_ref()
                            .map(|d| d.as_str().to_owned())
                            .unwrap_or_default(),
                    ]);
                }
                table.print()?;
            }
        }
        ChildAccountsCommand::Get { euuid: id, output } => {
            let account = parent.child_account(&euuid(&id)?).await?;
            let value = to_value(&account);
            if output.json {
                output::json(&value)?;
            } else {
                output::object_record(&value)?;
            }
        }
        ChildAccountsCommand::Token { euuid: id, output } => {
            let token = parent.create_proxy_token(&euuid(&id)?).await?;
            let text = |d: Option<&akamai_sdk::DateTime>| d.map(|d| d.as_str().to_owned());
            let expires = token.expires_at().map(|at| at.to_rfc3339());
            if output.json {
                output::json(&json!({
                    "token": token.token().expose_secret(),
                    "id": token.id(),
                    "label": token.label(),
                    "created": text(token.created()),
                    "expiry": text(token.expiry()).or(expires),
                    "scopes": token.scopes(),
                }))?;
            } else {
                output::record(&[
                    ("token", token.token().expose_secret().to_owned()),
                    ("id", token.id().to_string()),
                    ("label", token.label().unwrap_or_default().to_owned()),
                    (
                        "expiry",
                        text(token.expiry()).or(expires).unwrap_or_default(),
                    ),
                    ("scopes", token.scopes().unwrap_or_default().to_owned()),
                ])?;
                eprintln!(
                    "note: the API shows this token only once; it acts as the child account's \
                     proxy user until it expires"
                );
            }
        }
    }
    Ok(())
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `aksdk linode operations`.
fn operations(output: Output) -> Result<(), Failure> {
    if output.json {
        let list: Vec<Value> = ALL
            .iter()
            .map(|op| {
                json!({
                    "id": op.id,
                    "method": op.method.as_str(),
                    "path": op.path,
                    "tag": op.tag,
                    "paginated": op.paginated,
                    "idempotent": op.idempotent,
                })
            })
            .collect();
        output::json(&Value::Array(list))?;
    } else {
        let mut table = Table::new(&["ID", "METHOD", "PATH"]);
        for op in ALL {
            table.row([op.id, op.method.as_str(), op.path]);
        }
        table.print()?;
    }
    Ok(())
}

/// The parent client, or a child client acting through proxy tokens.
enum Caller {
    Parent(LinodeClient),
    Child(ChildClient),
}

impl Caller {
    async fn raw(&self, call: &RawCall) -> Result<RawAnswer, akamai_sdk::Error> {
        match self {
            Self::Parent(client) => client.raw(call).await,
            Self::Child(client) => client.raw(call).await,
        }
    }
}

/// The names of the `{name}` placeholders of a path template.
fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        names.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    names
}

fn find_operation(id: &str) -> Result<&'static Operation, Failure> {
    if let Some(op) = ALL.iter().find(|op| op.id == id) {
        return Ok(op);
    }
    let close: Vec<&str> = ALL
        .iter()
        .map(|op| op.id)
        .filter(|other| other.contains(id) || id.contains(*other))
        .take(5)
        .collect();
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    };
    Err(Failure::usage(format!(
        "no operation `{id}` in the Linode API{hint}; `aksdk linode operations` lists them"
    )))
}

/// The request of `aksdk linode call`, without a page number.
fn build_call(op: &'static Operation, args: &CallArgs) -> Result<RawCall, Failure> {
    let mut params = Vec::new();
    for pair in &args.params {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(Failure::usage(format!(
                "--param `{pair}` is not NAME=VALUE"
            )));
        };
        if name.is_empty() {
            return Err(Failure::usage(format!("--param `{pair}` has no name")));
        }
        params.push((name.to_owned(), value.to_owned()));
    }
    let mut call = RawCall::new(op.method.clone(), op.path).idempotent(op.idempotent);
    let names = placeholders(op.path);
    for name in &names {
        let Some(index) = params.iter().position(|(n, _)| n == name) else {
            return Err(Failure::usage(format!(
                "`{}` ({} {}) needs --param {name}=VALUE",
                op.id, op.method, op.path
            )));
        };
        let (name, value) = params.remove(index);
        call = call.param(name, value);
    }
    if args.all && params.iter().any(|(n, _)| n == "page") {
        return Err(Failure::usage(
            "--all reads every page from the first: leave out --param page=N",
        ));
    }
    for (name, value) in params {
        if names.contains(&name.as_str()) {
            return Err(Failure::usage(format!("--param {name} is given twice")));
        }
        call = call.query(name, value);
    }
    if let Some(body) = &args.body {
        call = call.json(&read_body(body)?)?;
    }
    Ok(call)
}

/// `--body JSON` or `--body @FILE`, checked to be JSON.
fn read_body(body: &str) -> Result<Value, Failure> {
    let (text, origin) = match body.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("cannot read the body file {path}: {e}")))?,
            path.to_owned(),
        ),
        None => (body.to_owned(), "--body".to_owned()),
    };
    serde_json::from_str(&text).map_err(|e| Failure::usage(format!("{origin} is not JSON: {e}")))
}

/// An answer's body as JSON (`null` when empty); a body that is not JSON is `None`.
fn answer_json(answer: &RawAnswer) -> Option<Value> {
    let body = answer.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Value::Null);
    }
    serde_json::from_slice(body).ok()
}

/// `aksdk linode call`.
async fn call(global: &Global, args: CallArgs) -> Result<(), Failure> {
    let op = find_operation(&args.operation_id)?;
    if args.all && !op.paginated {
        return Err(Failure::usage(format!(
            "--all follows the pages of a list, and `{}` does not answer one",
            op.id
        )));
    }
    let call = build_call(op, &args)?;
    let child = args.as_child.as_deref().map(euuid).transpose()?;
    let parent = client(global)?;
    let caller = match child {
        Some(euuid) => Caller::Child(parent.child(euuid)),
        None => Caller::Parent(parent),
    };
    let result = if args.all {
        every_page(&caller, &call, args.output).await
    } else {
        match caller.raw(&call).await {
            Ok(answer) => print_answer(&answer, args.output),
            Err(e) => Err(e.into()),
        }
    };
    if let Caller::Child(child) = &caller {
        // The proxy token would stay valid for its 15 minutes: revoke it now.
        if let Err(e) = child.revoke().await {
            eprintln!(
                "warning: could not revoke the proxy token ({}); it expires on its own",
                crate::failure::one_line(&crate::failure::describe(&e))
            );
        }
    }
    result
}

fn print_answer(answer: &RawAnswer, output: Output) -> Result<(), Failure> {
    use std::io::Write as _;
    let Some(value) = answer_json(answer) else {
        // Not JSON: the bytes as they came.
        let mut out = output::stdout();
        out.write_all(answer.body())?;
        out.flush()?;
        return Ok(());
    };
    if let (Some(page), Some(pages)) = (
        value.get("page").and_then(Value::as_u64),
        value.get("pages").and_then(Value::as_u64),
    ) {
        if pages > page {
            let results = value.get("results").and_then(Value::as_u64).unwrap_or(0);
            eprintln!("note: page {page} of {pages} ({results} results); --all reads every page");
        }
    }
    if output.json {
        output::json(&value)?;
    } else {
        match &value {
            Value::Null => {}
            Value::Object(map) if map.get("data").is_some_and(Value::is_array) => {
                rows_table(map["data"].as_array().map_or(&[][..], Vec::as_slice)).print()?;
            }
            Value::Array(rows) => rows_table(rows).print()?,
            other => output::object_record(other)?,
        }
    }
    Ok(())
}

/// `--all`: page after page until the last, the items printed as they arrive with `--json`.
async fn every_page(caller: &Caller, call: &RawCall, output: Output) -> Result<(), Failure> {
    let mut array = if output.json {
        Some(JsonArray::start(output::stdout())?)
    } else {
        None
    };
    let mut rows = Vec::new();
    let mut page = 1u64;
    loop {
        let answer = caller.raw(&call.clone().query("page", page)).await?;
        let value = answer_json(&answer)
            .ok_or_else(|| Failure::failed(format!("page {page} of the list is not JSON")))?;
        let Some(data) = value.get("data").and_then(Value::as_array) else {
            return Err(Failure::failed(format!(
                "page {page} of the list has no `data` array"
            )));
        };
        match &mut array {
            Some(array) => {
                for item in data {
                    array.push(item)?;
                }
            }
            None => rows.extend(data.iter().cloned()),
        }
        let pages = value.get("pages").and_then(Value::as_u64).unwrap_or(page);
        if page >= pages || data.is_empty() {
            break;
        }
        page += 1;
    }
    match array {
        Some(array) => {
            array.finish()?;
        }
        None => rows_table(&rows).print()?,
    }
    Ok(())
}

/// Keys shown first in a table of API objects, when they are there.
const FIRST_KEYS: &[&str] = &["id", "euuid", "label", "name", "company", "status"];

/// A table of API objects: a column per scalar member (identifying ones first); a list of
/// scalars is one `VALUE` column.
fn rows_table(rows: &[Value]) -> Table {
    if !rows.iter().all(Value::is_object) {
        let mut table = Table::new(&["VALUE"]);
        for row in rows {
            table.row([output::cell(Some(row))]);
        }
        return table;
    }
    let mut keys: Vec<String> = Vec::new();
    for row in rows {
        if let Some(map) = row.as_object() {
            for (key, value) in map {
                if !matches!(value, Value::Object(_) | Value::Array(_)) && !keys.contains(key) {
                    keys.push(key.clone());
                }
            }
        }
    }
    keys.sort_by_key(|k| {
        (
            FIRST_KEYS
                .iter()
                .position(|f| f == k)
                .unwrap_or(FIRST_KEYS.len()),
            k.clone(),
        )
    });
    let headers: Vec<String> = keys.iter().map(|k| k.to_uppercase()).collect();
    let mut table = Table::new(&headers);
    for row in rows {
        table.row(keys.iter().map(|k| output::cell(row.get(k))));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_of_templates() {
        assert_eq!(
            placeholders("/linode/instances/{linodeId}/disks/{diskId}"),
            ["linodeId", "diskId"]
        );
        assert!(placeholders("/account").is_empty());
    }

    #[test]
    fn every_operation_is_found_by_its_id() {
        assert!(!ALL.is_empty());
        for op in ALL {
            assert_eq!(find_operation(op.id).unwrap().id, op.id);
        }
        assert!(find_operation("no-such-operation").is_err());
    }

    #[test]
    fn params_fill_the_path_and_the_query() {
        let op = find_operation("get-child-account").unwrap();
        let args = CallArgs {
            operation_id: op.id.to_owned(),
            as_child: None,
            params: vec!["euuid=A-1".into(), "x=1".into()],
            body: None,
            all: false,
            output: Output { json: false },
        };
        assert!(build_call(op, &args).is_ok());
        let missing = CallArgs {
            params: vec![],
            ..args
        };
        let err = build_call(op, &missing).unwrap_err();
        assert_eq!(err.code(), 2);
    }
}
