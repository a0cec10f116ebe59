//! The command line: every command, flag and help text of `aksdk`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str =
    "One command-line tool for Linode parent/child accounts and Akamai EdgeKV, on akamai-sdk";

const LONG_ABOUT: &str = "\
One command-line tool for Linode parent/child accounts and Akamai EdgeKV, on akamai-sdk.

Linode commands read the token of a parent-account user from LINODE_TOKEN (or LINODE_CLI_TOKEN).
EdgeKV commands read EdgeGrid credentials from a section of an .edgerc file.

Output is a table; --json prints one JSON document on stdout instead (an array for lists).
Errors are one line on stderr. Exit status: 0 success, 1 API or network failure, 2 bad usage or
input (missing or malformed credentials, an invalid id), 130 interrupted.";

const EXAMPLES: &str = "\
Examples:
  aksdk linode child-accounts list --json
  aksdk edgekv items get en --network staging --namespace default --group greetings";

/// `aksdk`: Linode parent/child accounts and Akamai EdgeKV from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "aksdk",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// EdgeGrid credentials file (EdgeKV)
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "PATH",
        env = "AKAMAI_EDGERC",
        default_value = "~/.edgerc",
        hide_env_values = true
    )]
    pub(crate) edgerc: PathBuf,

    /// Section of the credentials file (EdgeKV)
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "NAME",
        env = "AKAMAI_EDGERC_SECTION",
        default_value = "default",
        hide_env_values = true
    )]
    pub(crate) section: String,

    /// Account switch key: act in another account (EdgeKV)
    #[arg(
        long = "account-key",
        global = true,
        help_heading = "Global options",
        value_name = "KEY"
    )]
    pub(crate) account_key: Option<String>,

    /// Linode API version, when --api-url is not given
    #[arg(
        long = "api-version",
        global = true,
        help_heading = "Global options",
        value_enum,
        value_name = "VERSION",
        default_value_t = ApiVersionArg::V4
    )]
    pub(crate) api_version: ApiVersionArg,

    /// EdgeKV base URL, requests signed for the .edgerc host [default: https://{host}/edgekv/v1]
    #[arg(
        long = "base-url",
        global = true,
        help_heading = "Global options",
        value_name = "URL"
    )]
    pub(crate) base_url: Option<String>,

    /// Linode base URL [default: https://api.linode.com/v4]
    #[arg(
        long = "api-url",
        global = true,
        help_heading = "Global options",
        value_name = "URL",
        env = "LINODE_API_URL",
        hide_env_values = true
    )]
    pub(crate) api_url: Option<String>,
}

/// `--api-version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApiVersionArg {
    /// https://api.linode.com/v4
    V4,
    /// https://api.linode.com/v4beta
    V4beta,
}

/// `--json`, for the commands that print something.
#[derive(Debug, Args, Clone, Copy)]
pub(crate) struct Output {
    /// Print one JSON document on stdout instead of a table
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Linode: child accounts, proxy tokens and any operation of the API
    #[command(
        subcommand,
        after_help = "Examples:\n  aksdk linode child-accounts list\n  aksdk linode call get-linode-instances --as-child EUUID --all --json"
    )]
    Linode(LinodeCommand),

    /// Akamai EdgeKV: database, namespaces, groups, items, access tokens, bulk files
    #[command(
        subcommand,
        after_help = "Examples:\n  aksdk edgekv namespaces list --network staging\n  aksdk edgekv import codes.csv --network staging --namespace promos --group codes --key code"
    )]
    Edgekv(EdgeKvCommand),

    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  aksdk completions bash > ~/.local/share/bash-completion/completions/aksdk\n  aksdk completions zsh > \"${fpath[1]}/_aksdk\"\n  aksdk completions fish > ~/.config/fish/completions/aksdk.fish"
    )]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum LinodeCommand {
    /// Child accounts of the parent account, and their proxy tokens
    #[command(
        subcommand,
        after_help = "Examples:\n  aksdk linode child-accounts list --company Acme\n  aksdk linode child-accounts token EUUID"
    )]
    ChildAccounts(ChildAccountsCommand),

    /// Run any operation of the Linode API by its id, as the parent or as a child account
    #[command(
        after_help = "Any {name} of the operation's path takes the value of --param name=VALUE; the other\n--param pairs are sent as query parameters.\n\nExamples:\n  aksdk linode call get-account\n  aksdk linode call get-linode-instances --as-child EUUID --all --json\n  aksdk linode call get-linode-instance --param linodeId=123\n  aksdk linode call post-linode-instance --body @instance.json"
    )]
    Call(CallArgs),

    /// List the operations `call` runs: id, method and path
    #[command(
        after_help = "Examples:\n  aksdk linode operations\n  aksdk linode operations --json"
    )]
    Operations {
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ChildAccountsCommand {
    /// List every child account (every page)
    #[command(
        after_help = "Examples:\n  aksdk linode child-accounts list\n  aksdk linode child-accounts list --company Acme --json"
    )]
    List {
        /// Only the child accounts of this company
        #[arg(long, value_name = "NAME")]
        company: Option<String>,
        #[command(flatten)]
        output: Output,
    },

    /// Show one child account
    #[command(after_help = "Examples:\n  aksdk linode child-accounts get EUUID --json")]
    Get {
        /// The child account's euuid
        euuid: String,
        #[command(flatten)]
        output: Output,
    },

    /// Create a proxy token for a child account and print it (the API shows it only once)
    #[command(
        after_help = "The token acts as the child account's proxy user until it expires (15 minutes).\n\nExamples:\n  aksdk linode child-accounts token EUUID\n  export LINODE_TOKEN=$(aksdk linode child-accounts token EUUID --json | jq -r .token)"
    )]
    Token {
        /// The child account's euuid
        euuid: String,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// The operation's id in the Linode spec (see `aksdk linode operations`)
    #[arg(value_name = "OPERATION_ID")]
    pub(crate) operation_id: String,

    /// Act in this child account, through a proxy token
    #[arg(long = "as-child", value_name = "EUUID")]
    pub(crate) as_child: Option<String>,

    /// A path or query parameter (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub(crate) params: Vec<String>,

    /// The JSON body, or @FILE to read it from a file
    #[arg(long, value_name = "JSON|@FILE")]
    pub(crate) body: Option<String>,

    /// Follow every page of a paginated list and print all its items
    #[arg(long)]
    pub(crate) all: bool,

    #[command(flatten)]
    pub(crate) output: Output,
}

/// `--network`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum NetworkArg {
    /// The staging network
    Staging,
    /// The production network
    Production,
}

/// `--staging` and `--production` of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Allow {
    /// The token works on this network
    Allow,
    /// The token does not work on this network
    Deny,
}

/// `--geo-location` of a new namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum GeoLocation {
    /// United States
    #[value(name = "US")]
    Us,
    /// Europe
    #[value(name = "EU")]
    Eu,
    /// Japan
    #[value(name = "JP")]
    Jp,
}

/// Where items are: network, namespace and group.
#[derive(Debug, Args)]
pub(crate) struct ItemPlace {
    /// The network
    #[arg(long, value_enum)]
    pub(crate) network: NetworkArg,
    /// The namespace
    #[arg(long, value_name = "NS")]
    pub(crate) namespace: String,
    /// The group
    #[arg(long, value_name = "G")]
    pub(crate) group: String,
}

/// Where a bulk run works: network, namespace and, optionally, one group.
#[derive(Debug, Args)]
pub(crate) struct BulkPlace {
    /// The network
    #[arg(long, value_enum)]
    pub(crate) network: NetworkArg,
    /// The namespace
    #[arg(long, value_name = "NS")]
    pub(crate) namespace: String,
    /// The group (for records without one; a CSV file needs it)
    #[arg(long, value_name = "G")]
    pub(crate) group: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum EdgeKvCommand {
    /// Initialize the EdgeKV database of the account (or show its status)
    #[command(after_help = "Examples:\n  aksdk edgekv init\n  aksdk edgekv init --wait --json")]
    Init {
        /// Wait until the database is initialized
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        output: Output,
    },

    /// List, show and create namespaces
    #[command(
        subcommand,
        after_help = "Examples:\n  aksdk edgekv namespaces list --network staging\n  aksdk edgekv namespaces create promos --network staging --retention 0"
    )]
    Namespaces(NamespacesCommand),

    /// List the groups of a namespace
    #[command(
        subcommand,
        after_help = "Examples:\n  aksdk edgekv groups list --network staging --namespace default"
    )]
    Groups(GroupsCommand),

    /// List, read, write and delete items
    #[command(
        subcommand,
        after_help = "Examples:\n  aksdk edgekv items put en --text Hello --network staging --namespace default --group greetings\n  aksdk edgekv items get en --network staging --namespace default --group greetings"
    )]
    Items(ItemsCommand),

    /// Create, list, show, refresh and delete access tokens; write edgekv_tokens.js
    #[command(
        subcommand,
        after_help = "Examples:\n  aksdk edgekv tokens create my_token --namespace default+rwd --save-path ./built\n  aksdk edgekv tokens list"
    )]
    Tokens(TokensCommand),

    /// Write every record of a JSON Lines or CSV file (resumable with --journal)
    #[command(
        after_help = "A file named *.csv is CSV with a header row: --key names the id column; each row is\nstored as a JSON object of its columns, or with --value that column alone as text. Any other\nfile is JSON Lines: {\"group\": G, \"id\": I, \"value\": JSON | \"text\": T | \"base64\": B,\n\"content_type\": C}, one per line. Ctrl-C stops cleanly; with --journal, the same command\nresumes without sending again what was written.\n\nExamples:\n  aksdk edgekv import items.jsonl --network staging --namespace default --journal items.journal\n  aksdk edgekv import codes.csv --network staging --namespace promos --group codes --key code --max-rate 100 --json"
    )]
    Import(ImportArgs),

    /// Write the items of a group (or of every group) as JSON Lines
    #[command(
        after_help = "The file imports back byte for byte, content types included.\n\nExamples:\n  aksdk edgekv export --network staging --namespace default --output default.jsonl\n  aksdk edgekv export --network staging --namespace default --group greetings > greetings.jsonl"
    )]
    Export(ExportArgs),

    /// Make the items equal to a file: write what differs, optionally delete what it lacks
    #[command(
        after_help = "Examples:\n  aksdk edgekv sync items.jsonl --network staging --namespace default --dry-run\n  aksdk edgekv sync codes.csv --network staging --namespace promos --group codes --key code --delete-missing"
    )]
    Sync(SyncArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum NamespacesCommand {
    /// List the namespaces of a network
    #[command(after_help = "Examples:\n  aksdk edgekv namespaces list --network staging --json")]
    List {
        /// The network
        #[arg(long, value_enum)]
        network: NetworkArg,
        #[command(flatten)]
        output: Output,
    },

    /// Show one namespace
    #[command(
        after_help = "Examples:\n  aksdk edgekv namespaces get default --network production"
    )]
    Get {
        /// The namespace
        name: String,
        /// The network
        #[arg(long, value_enum)]
        network: NetworkArg,
        #[command(flatten)]
        output: Output,
    },

    /// Create a namespace
    #[command(
        after_help = "Examples:\n  aksdk edgekv namespaces create promos --network staging --retention 86400\n  aksdk edgekv namespaces create promos --network production --retention 0 --group-id 4284 --geo-location EU"
    )]
    Create {
        /// The namespace
        name: String,
        /// The network
        #[arg(long, value_enum)]
        network: NetworkArg,
        /// How long items are kept, in seconds (0: forever)
        #[arg(long, value_name = "SECONDS", default_value_t = 0)]
        retention: i64,
        /// The access group allowed to use it (0: every group with EdgeKV capabilities)
        #[arg(long = "group-id", value_name = "ID", default_value_t = 0)]
        group_id: u64,
        /// Where the data is stored (production)
        #[arg(long = "geo-location", value_enum, value_name = "GEO", default_value_t = GeoLocation::Us)]
        geo_location: GeoLocation,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum GroupsCommand {
    /// List the groups of a namespace
    #[command(
        after_help = "Examples:\n  aksdk edgekv groups list --network staging --namespace default --json"
    )]
    List {
        /// The network
        #[arg(long, value_enum)]
        network: NetworkArg,
        /// The namespace
        #[arg(long, value_name = "NS")]
        namespace: String,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ItemsCommand {
    /// List the item ids of a group
    #[command(
        after_help = "Examples:\n  aksdk edgekv items list --network staging --namespace default --group greetings"
    )]
    List {
        #[command(flatten)]
        place: ItemPlace,
        #[command(flatten)]
        output: Output,
    },

    /// Print an item's value as it is stored
    #[command(
        after_help = "With --json, prints {\"group\", \"id\", \"value\" | \"text\" | \"base64\", \"content_type\"}, the\nform of an export line.\n\nExamples:\n  aksdk edgekv items get en --network staging --namespace default --group greetings\n  aksdk edgekv items get logo --network staging --namespace default --group assets > logo.png"
    )]
    Get {
        /// The item id
        item: String,
        #[command(flatten)]
        place: ItemPlace,
        #[command(flatten)]
        output: Output,
    },

    /// Write an item: text, JSON or the bytes of a file
    #[command(
        after_help = "Examples:\n  aksdk edgekv items put en --text Hello --network staging --namespace default --group greetings\n  aksdk edgekv items put all --json '[\"Hello\",\"Bonjour\"]' --network staging --namespace default --group greetings\n  aksdk edgekv items put logo --file logo.png --content-type image/png --network staging --namespace default --group assets"
    )]
    Put {
        /// The item id
        item: String,
        #[command(flatten)]
        value: ItemSource,
        /// The content type stored with the value
        #[arg(long = "content-type", value_name = "C")]
        content_type: Option<String>,
        #[command(flatten)]
        place: ItemPlace,
    },

    /// Delete an item
    #[command(
        after_help = "Examples:\n  aksdk edgekv items delete en --network staging --namespace default --group greetings"
    )]
    Delete {
        /// The item id
        item: String,
        #[command(flatten)]
        place: ItemPlace,
    },
}

/// The value of `items put`: exactly one of `--text`, `--json`, `--file`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct ItemSource {
    /// Store this text (text/plain; charset=utf-8)
    #[arg(long, value_name = "T")]
    pub(crate) text: Option<String>,
    /// Store this JSON, exactly as written (application/json)
    #[arg(long, value_name = "J")]
    pub(crate) json: Option<String>,
    /// Store the bytes of this file (application/octet-stream unless --content-type)
    #[arg(long, value_name = "F")]
    pub(crate) file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokensCommand {
    /// Create an access token, wait for its activation, and write it to edgekv_tokens.js
    #[command(
        after_help = "Permissions per namespace: r (read), w (write), d (delete), as NS+rwd. With --save-path,\nDIR/edgekv_tokens.js is written, or merged with the entries it already has, keyed\n\"namespace-NS\" as edgekv.js reads them.\n\nExamples:\n  aksdk edgekv tokens create my_token --namespace default+rwd --save-path ./built\n  aksdk edgekv tokens create reader --namespace default+r,promos+r --production allow --expiry 2026-12-31"
    )]
    Create {
        /// The token name
        name: String,
        /// A namespace and its permissions, NS+rwd (repeatable, or comma-separated)
        #[arg(
            long = "namespace",
            value_name = "NS+PERMS",
            required = true,
            value_delimiter = ','
        )]
        namespaces: Vec<String>,
        /// Whether the token works on staging
        #[arg(long, value_enum, value_name = "allow|deny", default_value_t = Allow::Allow)]
        staging: Allow,
        /// Whether the token works on production
        #[arg(long, value_enum, value_name = "allow|deny", default_value_t = Allow::Deny)]
        production: Allow,
        /// The expiry date
        #[arg(long, value_name = "YYYY-MM-DD")]
        expiry: Option<String>,
        /// Write or merge DIR/edgekv_tokens.js
        #[arg(long = "save-path", value_name = "DIR")]
        save_path: Option<PathBuf>,
        #[command(flatten)]
        output: Output,
    },

    /// List the access tokens
    #[command(after_help = "Examples:\n  aksdk edgekv tokens list --include-expired --json")]
    List {
        /// Also those that expired less than 30 days ago
        #[arg(long = "include-expired")]
        include_expired: bool,
        #[command(flatten)]
        output: Output,
    },

    /// Show an access token
    #[command(after_help = "Examples:\n  aksdk edgekv tokens get my_token")]
    Get {
        /// The token name
        name: String,
        #[command(flatten)]
        output: Output,
    },

    /// Refresh an access token now, wait for its activation, optionally write edgekv_tokens.js
    #[command(
        after_help = "Examples:\n  aksdk edgekv tokens refresh my_token --save-path ./built"
    )]
    Refresh {
        /// The token name
        name: String,
        /// Write or merge DIR/edgekv_tokens.js
        #[arg(long = "save-path", value_name = "DIR")]
        save_path: Option<PathBuf>,
        #[command(flatten)]
        output: Output,
    },

    /// Revoke an access token
    #[command(after_help = "Examples:\n  aksdk edgekv tokens delete my_token")]
    Delete {
        /// The token name
        name: String,
        #[command(flatten)]
        output: Output,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The file: *.csv is CSV, anything else JSON Lines
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) place: BulkPlace,
    #[command(flatten)]
    pub(crate) csv: CsvColumns,
    /// Record acknowledged writes here; the same command resumes from it
    #[arg(long, value_name = "PATH")]
    pub(crate) journal: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) rate: Rate,
    #[command(flatten)]
    pub(crate) output: Output,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) place: BulkPlace,
    /// Write to this file instead of stdout
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) rate: Rate,
    /// Print the summary as JSON on stdout (with --output)
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// The file: *.csv is CSV, anything else JSON Lines
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) place: BulkPlace,
    #[command(flatten)]
    pub(crate) csv: CsvColumns,
    /// Also delete the items of the groups in scope that the file does not have
    #[arg(long = "delete-missing")]
    pub(crate) delete_missing: bool,
    /// Compare only: report what would be written and deleted
    #[arg(long = "dry-run")]
    pub(crate) dry_run: bool,
    #[command(flatten)]
    pub(crate) rate: Rate,
    #[command(flatten)]
    pub(crate) output: Output,
}

/// The columns of a CSV file.
#[derive(Debug, Args)]
pub(crate) struct CsvColumns {
    /// CSV: the column holding the item id
    #[arg(long, value_name = "COLUMN")]
    pub(crate) key: Option<String>,
    /// CSV: store this column alone, as text (default: the whole row as a JSON object)
    #[arg(long, value_name = "COLUMN", requires = "key")]
    pub(crate) value: Option<String>,
}

/// `--max-rate`.
#[derive(Debug, Args)]
pub(crate) struct Rate {
    /// At most N requests per second (the run finds the account's limit below it)
    #[arg(long = "max-rate", value_name = "N", value_parser = positive_rate)]
    pub(crate) max_rate: Option<f64>,
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a positive number of requests per second"
        )),
    }
}
