//! A minimal HTTP/1.1 loopback server for the Linode benchmarks: keep-alive, GET only, fixed
//! bodies for `/v4/account` and `/v4/profile`, and numbered pages of one child-account list.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// What the server answers.
pub(crate) struct Routes {
    /// Body of `GET /v4/account`.
    pub(crate) account: String,
    /// The JSON array used as `data` of every page.
    pub(crate) page_data: String,
    /// Items per page (for `results`).
    pub(crate) page_size: usize,
    /// Number of pages of the child-account list.
    pub(crate) pages: usize,
    /// Delay before each page is answered (server-side work or network latency).
    pub(crate) page_latency: Duration,
}

/// Starts the server on an ephemeral loopback port; returns the base URL (with `/v4`).
pub(crate) fn start(routes: Routes) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!("http://{}/v4", listener.local_addr().unwrap());
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let routes = Arc::clone(&routes);
            std::thread::spawn(move || serve(stream, &routes));
        }
    });
    base
}

fn serve(stream: TcpStream, routes: &Routes) {
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        match reader.read_line(&mut request_line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" || line == "\n" => break,
                Ok(_) => {}
            }
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let body = match path {
            "/v4/account" => routes.account.clone(),
            "/v4/profile" => {
                r#"{"username":"bench","user_type":"parent","restricted":false}"#.to_owned()
            }
            "/v4/account/child-accounts" => {
                let page: usize = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("page="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                if !routes.page_latency.is_zero() {
                    std::thread::sleep(routes.page_latency);
                }
                format!(
                    r#"{{"data":{},"page":{page},"pages":{},"results":{}}}"#,
                    routes.page_data,
                    routes.pages,
                    routes.pages * routes.page_size
                )
            }
            _ => "{}".to_owned(),
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(body.as_bytes()).is_err()
        {
            return;
        }
    }
}

/// A child account as the live API sends it, numbered `i`.
pub(crate) fn child_account(i: usize) -> String {
    format!(
        r#"{{"active_since":"2018-01-01T00:01:01","address_1":"{i} Main Street","address_2":"","balance":200,"balance_uninvoiced":145.5,"billing_source":"external","capabilities":["Linodes","NodeBalancers","Block Storage","Object Storage"],"city":"Philadelphia","company":"Child {i}","country":"US","credit_card":{{"last_four":null,"expiry":null}},"email":"child{i}@example.com","euuid":"{i:08X}-526F-487D-B317EBEB34C87D71","first_name":"Kim","last_name":"Lee","phone":"215-555-1212","state":"PA","tax_id":"","zip":"19102"}}"#
    )
}

/// A JSON array of `n` child accounts.
pub(crate) fn page_data(n: usize) -> String {
    let items: Vec<String> = (0..n).map(child_account).collect();
    format!("[{}]", items.join(","))
}
