//! `aksdk edgekv`: the database, namespaces, groups, items and access tokens; the bulk
//! commands are in [`crate::bulk`].

use std::io::Write as _;
use std::path::{Path, PathBuf};

use akamai_sdk::edgekv::{
    is_initialized, types, AccessToken, EdgeKvClient, Item, ItemValue, Network, NewToken,
    Permission, TokensFile, WaitOptions, WaitOutcome, WaitProgress,
};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::args::{
    Allow, EdgeKvCommand, GeoLocation, Global, GroupsCommand, ItemPlace, ItemSource, ItemsCommand,
    NamespacesCommand, NetworkArg, Output, TokensCommand,
};
use crate::failure::Failure;
use crate::output::{self, Table};

/// The file `edgekv.js` imports its access tokens from.
pub(crate) const TOKENS_FILE: &str = "edgekv_tokens.js";

pub(crate) async fn run(global: &Global, command: EdgeKvCommand) -> Result<(), Failure> {
    match command {
        EdgeKvCommand::Init { wait, output } => init(&client(global)?, wait, output).await,
        EdgeKvCommand::Namespaces(command) => namespaces(&client(global)?, command).await,
        EdgeKvCommand::Groups(GroupsCommand::List {
            network,
            namespace,
            output,
        }) => {
            let groups = client(global)?
                .namespace_groups(network.into(), &namespace)
                .await?;
            print_names("GROUP", groups, output)
        }
        EdgeKvCommand::Items(command) => items(&client(global)?, command).await,
        EdgeKvCommand::Tokens(command) => tokens(&client(global)?, command).await,
        EdgeKvCommand::Import(args) => crate::bulk::import(&client(global)?, args).await,
        EdgeKvCommand::Export(args) => crate::bulk::export(&client(global)?, args).await,
        EdgeKvCommand::Sync(args) => crate::bulk::sync(&client(global)?, args).await,
    }
}

/// The client of `--section` of `--edgerc`, with `--base-url` and `--account-key`.
pub(crate) fn client(global: &Global) -> Result<EdgeKvClient, Failure> {
    let mut builder = EdgeKvClient::builder_from_edgerc(&global.edgerc, &global.section)?
        .http_config(crate::http_config());
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url);
    }
    if let Some(key) = &global.account_key {
        builder = builder.account_switch_key(key);
    }
    Ok(builder.build()?)
}

impl From<NetworkArg> for Network {
    fn from(network: NetworkArg) -> Self {
        match network {
            NetworkArg::Staging => Network::Staging,
            NetworkArg::Production => Network::Production,
        }
    }
}

/// A line on stderr for each poll of a wait.
fn waiting(what: &'static str) -> WaitOptions {
    WaitOptions::new().on_poll(move |progress: &WaitProgress| {
        eprintln!(
            "waiting for {what} ({} s of at most {} s)",
            progress.elapsed().as_secs(),
            progress.timeout().as_secs()
        );
    })
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `aksdk edgekv init [--wait]`: reads the status, starts the initialization when the
/// database is neither initialized nor pending, and with `--wait` waits until it is.
async fn init(client: &EdgeKvClient, wait: bool, output: Output) -> Result<(), Failure> {
    let status = if wait {
        match client
            .initialize_and_wait(None, waiting("the database initialization"))
            .await?
        {
            WaitOutcome::Ready(status) => status,
            WaitOutcome::TimedOut(status) => {
                return Err(Failure::failed(format!(
                    "the database is still {} after waiting; `aksdk edgekv init` shows its status",
                    status.account_status
                )))
            }
        }
    } else {
        let current = match client.initialization_status().await {
            Ok(status) => Some(status),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e.into()),
        };
        match current {
            Some(status)
                if is_initialized(&status)
                    || status.account_status == types::InitializeAccountStatus::Pending =>
            {
                status
            }
            _ => client.initialize(None).await?,
        }
    };
    let value = to_value(&status);
    if output.json {
        output::json(&value)?;
    } else {
        output::object_record(&value)?;
    }
    Ok(())
}

const NAMESPACE_COLUMNS: &[(&str, &str)] = &[
    ("NAMESPACE", "namespace"),
    ("RETENTION (S)", "retentionInSeconds"),
    ("GROUP ID", "groupId"),
    ("GEO", "geoLocation"),
];

async fn namespaces(client: &EdgeKvClient, command: NamespacesCommand) -> Result<(), Failure> {
    let value = match command {
        NamespacesCommand::List { network, output } => {
            let list = to_value(&client.namespaces(network.into()).await?);
            if output.json {
                output::json(&list)?;
            } else {
                let rows = list.as_array().map_or(&[][..], Vec::as_slice);
                Table::of_objects(NAMESPACE_COLUMNS, rows).print()?;
            }
            return Ok(());
        }
        NamespacesCommand::Get {
            name,
            network,
            output,
        } => (
            to_value(&client.namespace(network.into(), &name).await?),
            output,
        ),
        NamespacesCommand::Create {
            name,
            network,
            retention,
            group_id,
            geo_location,
            output,
        } => {
            let body: types::PostNamespaceBody = types::PostNamespaceBody::builder()
                .namespace(name)
                .retention_in_seconds(retention)
                .group_id(group_id)
                .geo_location(match geo_location {
                    GeoLocation::Us => types::PostNamespaceBodyGeoLocation::Us,
                    GeoLocation::Eu => types::PostNamespaceBodyGeoLocation::Eu,
                    GeoLocation::Jp => types::PostNamespaceBodyGeoLocation::Jp,
                })
                .try_into()
                .map_err(|e| Failure::usage(format!("invalid namespace: {e}")))?;
            (
                to_value(&client.create_namespace(network.into(), &body).await?),
                output,
            )
        }
    };
    let (value, output) = value;
    if output.json {
        output::json(&value)?;
    } else {
        output::object_record(&value)?;
    }
    Ok(())
}

/// A list of names: a one-column table, or a JSON array of strings.
fn print_names(header: &str, names: Vec<String>, output: Output) -> Result<(), Failure> {
    if output.json {
        output::json(&Value::from(names))?;
    } else {
        let mut table = Table::new(&[header]);
        for name in names {
            table.row([name]);
        }
        table.print()?;
    }
    Ok(())
}

async fn items(client: &EdgeKvClient, command: ItemsCommand) -> Result<(), Failure> {
    let group = |place: &ItemPlace| {
        client.group(
            place.network.into(),
            place.namespace.clone(),
            place.group.clone(),
        )
    };
    match command {
        ItemsCommand::List { place, output } => {
            let ids = group(&place).list(None).await?;
            print_names("ITEM", ids, output)
        }
        ItemsCommand::Get {
            item,
            place,
            output,
        } => {
            let stored = group(&place).get(&item).await?;
            if output.json {
                output::json(&item_json(&place.group, &item, &stored))?;
            } else {
                let mut out = output::stdout();
                out.write_all(stored.as_bytes())?;
                out.flush()?;
            }
            Ok(())
        }
        ItemsCommand::Put {
            item,
            value,
            content_type,
            place,
        } => {
            let mut value = item_value(value)?;
            if let Some(content_type) = content_type {
                value = value.with_content_type(content_type)?;
            }
            let answer = group(&place).put(&item, &value).await?;
            println!("{}", crate::failure::one_line(&answer));
            Ok(())
        }
        ItemsCommand::Delete { item, place } => {
            let answer = group(&place).delete(&item).await?;
            println!("{}", crate::failure::one_line(&answer));
            Ok(())
        }
    }
}

/// The value of `items put`.
fn item_value(source: ItemSource) -> Result<ItemValue, Failure> {
    match (source.text, source.json, source.file) {
        (Some(text), _, _) => Ok(ItemValue::text(text)),
        (_, Some(json), _) => Ok(ItemValue::json_text(json)?),
        (_, _, Some(path)) => {
            let bytes = std::fs::read(&path)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
            Ok(ItemValue::bytes(bytes))
        }
        (None, None, None) => Err(Failure::usage("give --text, --json or --file")),
    }
}

/// An item as one JSON document, in the form of an export line: `value` for JSON (as
/// stored), `text` for other UTF-8, `base64` otherwise, and its content type.
fn item_json(group: &str, id: &str, item: &Item) -> Value {
    let mut doc = serde_json::Map::new();
    doc.insert("group".into(), group.into());
    doc.insert("id".into(), id.into());
    let json = item
        .is_json()
        .then(|| serde_json::from_slice::<Value>(item.as_bytes()).ok())
        .flatten();
    match (json, item.text()) {
        (Some(value), _) => doc.insert("value".into(), value),
        (None, Ok(text)) => doc.insert("text".into(), text.into()),
        (None, Err(_)) => doc.insert(
            "base64".into(),
            base64::engine::general_purpose::STANDARD
                .encode(item.as_bytes())
                .into(),
        ),
    };
    if let Some(content_type) = item.content_type() {
        doc.insert("content_type".into(), content_type.into());
    }
    Value::Object(doc)
}

/// `NS+rwd` as a namespace and its permissions.
fn namespace_permissions(spec: &str) -> Result<(String, Vec<Permission>), Failure> {
    let usage = || {
        Failure::usage(format!(
            "--namespace `{spec}` is not NAMESPACE+PERMISSIONS (such as default+rwd; r read, \
             w write, d delete)"
        ))
    };
    let (namespace, letters) = spec.rsplit_once('+').ok_or_else(usage)?;
    if namespace.is_empty() || letters.is_empty() {
        return Err(usage());
    }
    let mut permissions = Vec::new();
    for letter in letters.chars() {
        let permission = match letter {
            'r' => Permission::R,
            'w' => Permission::W,
            'd' => Permission::D,
            _ => return Err(usage()),
        };
        if !permissions.contains(&permission) {
            permissions.push(permission);
        }
    }
    Ok((namespace.to_owned(), permissions))
}

/// `YYYY-MM-DD`.
fn check_date(date: &str) -> Result<(), Failure> {
    let parts: Vec<&str> = date.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = parts.len() == 3
        && digits(parts[0], 4)
        && digits(parts[1], 2)
        && digits(parts[2], 2)
        && (1..=12).contains(&parts[1].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&parts[2].parse::<u32>().unwrap_or(0));
    if well_formed {
        Ok(())
    } else {
        Err(Failure::usage(format!(
            "--expiry `{date}` is not a date YYYY-MM-DD"
        )))
    }
}

/// A token as JSON: what the API says of it, never a legacy token's value.
fn token_json(token: &AccessToken) -> Value {
    let permissions: serde_json::Map<String, Value> = token
        .namespace_permissions
        .iter()
        .map(|(ns, p)| {
            (
                ns.clone(),
                Value::from(p.iter().map(ToString::to_string).collect::<Vec<_>>()),
            )
        })
        .collect();
    json!({
        "name": token.name,
        "uuid": token.uuid,
        "tokenActivationStatus": token.activation_status.as_ref().map(ToString::to_string),
        "namespacePermissions": permissions,
        "allowOnStaging": token.allow_on_staging,
        "allowOnProduction": token.allow_on_production,
        "expiry": token.expiry,
        "issueDate": token.issue_date,
        "latestRefreshDate": token.latest_refresh_date,
        "nextScheduledRefreshDate": token.next_scheduled_refresh_date,
        "cpcode": token.cpcode,
        "restrictToEdgeWorkerIds": token.restrict_to_edge_worker_ids,
    })
}

const TOKEN_COLUMNS: &[(&str, &str)] = &[
    ("NAME", "name"),
    ("UUID", "uuid"),
    ("STATUS", "tokenActivationStatus"),
    ("STAGING", "allowOnStaging"),
    ("PRODUCTION", "allowOnProduction"),
    ("EXPIRY", "expiry"),
    ("NAMESPACES", "namespaces"),
];

/// A token as a table row: its permissions as `ns+rwd`.
fn token_row(token: &AccessToken) -> Value {
    let mut value = token_json(token);
    let namespaces: Vec<String> = token
        .namespace_permissions
        .iter()
        .map(|(ns, p)| {
            let letters: String = p.iter().map(ToString::to_string).collect();
            format!("{ns}+{letters}")
        })
        .collect();
    value["namespaces"] = Value::from(namespaces);
    value
}

fn print_token(token: &AccessToken, output: Output) -> Result<(), Failure> {
    if output.json {
        output::json(&token_json(token))?;
    } else {
        output::object_record(&token_row(token))?;
    }
    Ok(())
}

/// Waits for `name` to be active, then writes or merges `DIR/edgekv_tokens.js`.
async fn activate_and_save(
    client: &EdgeKvClient,
    name: &str,
    save_path: Option<&Path>,
) -> Result<AccessToken, Failure> {
    let token = match client
        .wait_for_token(name, waiting("the token's activation"))
        .await?
    {
        WaitOutcome::Ready(token) => token,
        WaitOutcome::TimedOut(_) => {
            return Err(Failure::failed(format!(
                "the token `{name}` is not active yet{}; `aksdk edgekv tokens get {name}` shows \
                 its status",
                if save_path.is_some() {
                    format!(", so {TOKENS_FILE} was not written")
                } else {
                    String::new()
                }
            )))
        }
    };
    if let Some(dir) = save_path {
        let file = tokens_file(dir)?;
        TokensFile::merge_into_file(&file, &token)?;
        eprintln!("wrote {}", file.display());
    }
    Ok(token)
}

/// `DIR/edgekv_tokens.js`, the directory created if needed.
fn tokens_file(dir: &Path) -> Result<PathBuf, Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir.join(TOKENS_FILE))
}

async fn tokens(client: &EdgeKvClient, command: TokensCommand) -> Result<(), Failure> {
    match command {
        TokensCommand::Create {
            name,
            namespaces,
            staging,
            production,
            expiry,
            save_path,
            output,
        } => {
            let mut request = NewToken::new(&name)
                .staging(staging == Allow::Allow)
                .production(production == Allow::Allow);
            for spec in &namespaces {
                let (namespace, permissions) = namespace_permissions(spec)?;
                request = request.namespace(namespace, permissions);
            }
            if let Some(date) = expiry {
                check_date(&date)?;
                request = request.expiry(date);
            }
            let created = client.create_token(&request).await?;
            let token = activate_and_save(client, &created.name, save_path.as_deref()).await?;
            print_token(&token, output)
        }
        TokensCommand::List {
            include_expired,
            output,
        } => {
            let list = client.tokens(include_expired).await?;
            if output.json {
                output::json(&Value::from(
                    list.iter().map(token_json).collect::<Vec<_>>(),
                ))?;
            } else {
                let rows: Vec<Value> = list.iter().map(token_row).collect();
                Table::of_objects(TOKEN_COLUMNS, &rows).print()?;
            }
            Ok(())
        }
        TokensCommand::Get { name, output } => print_token(&client.token(&name).await?, output),
        TokensCommand::Refresh {
            name,
            save_path,
            output,
        } => {
            let refreshed = client.refresh_token(&name).await?;
            let token = activate_and_save(client, &refreshed.name, save_path.as_deref()).await?;
            print_token(&token, output)
        }
        TokensCommand::Delete { name, output } => {
            let deleted = to_value(&client.delete_token(&name).await?);
            if output.json {
                output::json(&deleted)?;
            } else {
                output::object_record(&deleted)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_permissions_are_parsed() {
        let (ns, p) = namespace_permissions("default+rwd").unwrap();
        assert_eq!(ns, "default");
        assert_eq!(p, [Permission::R, Permission::W, Permission::D]);
        let (ns, p) = namespace_permissions("a+b+r").unwrap();
        assert_eq!((ns.as_str(), p.len()), ("a+b", 1));
        for bad in ["default", "default+", "+r", "default+rx"] {
            assert_eq!(namespace_permissions(bad).unwrap_err().code(), 2, "{bad}");
        }
    }

    #[test]
    fn expiry_dates_are_checked() {
        assert!(check_date("2026-12-31").is_ok());
        for bad in [
            "2026-13-01",
            "2026-1-01",
            "tomorrow",
            "2026-12-32",
            "20261231",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn items_as_json_take_the_export_form() {
        let json = Item::new(Some("application/json".into()), &br#"{"a":1}"#[..]);
        assert_eq!(item_json("g", "i", &json)["value"], json!({"a": 1}));
        let text = Item::new(Some("text/plain".into()), &b"hi"[..]);
        assert_eq!(item_json("g", "i", &text)["text"], "hi");
        let bytes = Item::new(None, &[0xff, 0xfe][..]);
        let doc = item_json("g", "i", &bytes);
        assert_eq!(doc["base64"], "//4=");
        assert!(doc.get("content_type").is_none());
    }
}
