//! LSP sessions against the real server over in-memory pipes: what a client sees.

mod common;

use common::{Client, fixture, push_capabilities};
use insta::assert_snapshot;
use serde_json::{Value, json};

fn codes(params: &Value) -> Vec<String> {
    params["diagnostics"].as_array().into_iter().flatten().map(|d| d["code"].as_str().unwrap_or_default().to_owned()).collect()
}

/// A position on a line of `rel` (0-based), at the first `needle`, in UTF-16 units.
fn at(text: &str, line: usize, needle: &str) -> Value {
    let l = text.lines().nth(line).unwrap_or_default();
    let byte = l.find(needle).unwrap_or_default();
    let character: usize = l[..byte].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": character})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_of_an_open_file() {
    let dir = fixture("web");
    let (mut c, init) = Client::start(dir.path(), push_capabilities(), Value::Null).await;
    assert_snapshot!("initialize", c.show(&init["result"]));
    c.open("Dockerfile").await;
    let published = c.diagnostics("Dockerfile").await;
    assert_snapshot!("dockerfile_diagnostics", c.show(&published));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_fix_and_ignore() {
    let dir = fixture("web");
    let (mut c, _) = Client::start(dir.path(), push_capabilities(), Value::Null).await;
    let text = c.open("Dockerfile").await;
    c.diagnostics("Dockerfile").await;
    let pip = at(&text, 3, "pip");
    let uri = c.uri("Dockerfile");
    let actions = c
        .request("textDocument/codeAction", json!({
            "textDocument": {"uri": uri},
            "range": {"start": pip, "end": pip},
            "context": {"diagnostics": [], "only": ["quickfix"]}
        }))
        .await;
    assert_snapshot!("dockerfile_quick_fixes", c.show(&actions["result"]));
    let fix_all = c
        .request("textDocument/codeAction", json!({
            "textDocument": {"uri": uri},
            "range": {"start": pip, "end": pip},
            "context": {"diagnostics": [], "only": ["source.fixAll"]}
        }))
        .await;
    assert_snapshot!("dockerfile_fix_all", c.show(&fix_all["result"]));
    c.stop().await;
}

/// A fix whose edits touch two files is one `WorkspaceEdit`: versioned for the open file,
/// unversioned for the closed one. (No rule of today's catalog has one; the shape is the
/// contract.)
#[test]
fn a_multi_file_fix_is_one_workspace_edit() {
    use std::collections::HashMap;
    use stacklint_diagnostics::{Edit, TextRange};
    use stacklint_server::code_actions::Context;
    use stacklint_server::lint::Source;
    let root = std::path::Path::new("/project");
    let views = root.join("app/views.py");
    let models = root.join("app/models.py");
    let sources = HashMap::from([
        (views.clone(), Source::new("Order.objects.filter(customer=c)\n".to_owned())),
        (models.clone(), Source::new("class Order(models.Model):\n    customer = models.CharField()\n".to_owned())),
    ]);
    let versions = HashMap::from([(views.clone(), 7)]);
    let kinds = HashMap::new();
    let edits = [
        Edit::insert(&models, 57, ", db_index=True"),
        Edit::replace(&views, TextRange::new(0, 5), "Order"),
    ];
    for document_changes in [true, false] {
        let cx = Context { sources: &sources, kinds: &kinds, versions: &versions, encoding: stacklint_text::PositionEncoding::Utf16, document_changes };
        let edit = serde_json::to_value(cx.workspace_edit(&edits)).unwrap_or_default();
        let name = if document_changes { "multi_file_fix_document_changes" } else { "multi_file_fix_changes" };
        assert_snapshot!(name, serde_json::to_string_pretty(&edit).unwrap_or_default());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_republishes_the_files_it_implicates() {
    let dir = fixture("web");
    let (mut c, _) = Client::start(dir.path(), push_capabilities(), Value::Null).await;
    c.open("gunicorn.conf.py").await;
    let first = c.diagnostics("gunicorn.conf.py").await;
    assert_eq!(codes(&first), ["GUN007", "GUN001"]);
    // 64 workers: more than PostgreSQL's `max_connections` 60 − 3 reserved.
    c.change("gunicorn.conf.py", 2, [1, 10, 1, 11], "64").await;
    let gunicorn = c.diagnostics("gunicorn.conf.py").await;
    assert_eq!(codes(&gunicorn), ["GUN007"]);
    let postgres = c.diagnostics("postgres/postgresql.conf").await;
    assert_snapshot!("cross_file_published", c.show(&postgres));
    // Back to 4: the PostgreSQL finding goes, and its file is cleared.
    c.change("gunicorn.conf.py", 3, [1, 10, 1, 12], "4").await;
    let cleared = c.diagnostics("postgres/postgresql.conf").await;
    assert_eq!(cleared["diagnostics"], json!([]), "{cleared}");
    // Nothing else was published for closed files.
    let others: Vec<String> = c.published_so_far().await.iter().map(|p| p["uri"].as_str().unwrap_or_default().to_owned()).filter(|u| !u.ends_with("gunicorn.conf.py")).collect();
    assert!(others.is_empty(), "{others:?}");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_rule_codes_and_settings() {
    let dir = fixture("web");
    let (mut c, _) = Client::start(dir.path(), push_capabilities(), Value::Null).await;
    let dockerfile = "# stacklint: ignore[DKR003]\nFROM python:3.12-slim\nRUN pip install flask\n";
    c.open_text("Dockerfile", dockerfile).await;
    c.diagnostics("Dockerfile").await;
    let uri = c.uri("Dockerfile");
    let on_code = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": at(dockerfile, 0, "KR003")})).await;
    let page = on_code["result"]["contents"]["value"].as_str().unwrap_or_default();
    let head: Vec<&str> = page.lines().take(3).collect();
    assert_snapshot!("hover_suppression_code", format!("{}\n{}", head.join("\n"), c.show(&on_code["result"]["range"])));
    // Inside a finding's range: its rule's page.
    let on_finding = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": at(dockerfile, 2, "install")})).await;
    let page = on_finding["result"]["contents"]["value"].as_str().unwrap_or_default();
    assert!(page.starts_with("# pip-cache-in-image (DKR005)\n"), "{page}");

    let conf = c.open("postgres/postgresql.conf").await;
    c.diagnostics("postgres/postgresql.conf").await;
    let uri = c.uri("postgres/postgresql.conf");
    let setting = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": at(&conf, 2, "buffers")})).await;
    assert_snapshot!("hover_shared_buffers", format!("{}\n{}", setting["result"]["contents"]["value"].as_str().unwrap_or_default(), c.show(&setting["result"]["range"])));
    c.stop().await;
}

/// On an app service's definition: its capacity, each limit with its arithmetic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_on_a_service_shows_its_capacity() {
    let dir = fixture("web");
    let (mut c, _) = Client::start(dir.path(), push_capabilities(), Value::Null).await;
    let compose = c.open("docker-compose.yml").await;
    c.diagnostics("docker-compose.yml").await;
    let uri = c.uri("docker-compose.yml");
    let hover = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": at(&compose, 1, "web")})).await;
    let page = hover["result"]["contents"]["value"].as_str().unwrap_or_default();
    assert!(page.starts_with("### `web`: ") && page.contains("binds first") && page.contains("| resource | requests/s | arithmetic |"), "{hover}");
    let page = page.replace(&dir.path().display().to_string(), "<project>");
    assert_snapshot!("hover_service_capacity", format!("{page}\n{}", c.show(&hover["result"]["range"])));
    // The database service is no app: nothing to size there.
    let db = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": at(&compose, 7, "db")})).await;
    assert!(db["result"].is_null(), "{db}");
    c.stop().await;
}

/// One line with non-ASCII text before a finding: UTF-8 clients count bytes, UTF-16
/// clients count UTF-16 units.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_follow_the_negotiated_encoding() {
    let dir = fixture("web");
    let text = "FROM python:3.12-slim\nRUN echo \"héllo 😀\" && pip install flask\n";
    let mut seen = Vec::new();
    for encodings in [json!(["utf-8", "utf-16"]), json!(["utf-16"])] {
        let mut caps = push_capabilities();
        caps["general"]["positionEncodings"] = encodings;
        let (mut c, init) = Client::start(dir.path(), caps, Value::Null).await;
        let encoding = init["result"]["capabilities"]["positionEncoding"].as_str().unwrap_or_default().to_owned();
        c.open_text("Dockerfile", text).await;
        let published = c.diagnostics("Dockerfile").await;
        let range = published["diagnostics"].as_array().into_iter().flatten().find(|d| d["code"] == "DKR005").map(|d| d["range"].clone());
        // Hover at the finding's start, in the same encoding, lands on the finding.
        let start = range.as_ref().map(|r| r["start"].clone()).unwrap_or_default();
        let uri = c.uri("Dockerfile");
        let hover = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": start})).await;
        assert!(hover["result"]["contents"]["value"].as_str().unwrap_or_default().contains("DKR005"), "{hover}");
        seen.push(format!("{encoding}: {}", serde_json::to_string(&range).unwrap_or_default()));
        c.stop().await;
    }
    assert_snapshot!("positions_utf8_then_utf16", seen.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_reloads() {
    let dir = fixture("web");
    // initializationOptions: a 2-CPU target, so gunicorn's recommendation is 5.
    let (mut c, _) = Client::start(dir.path(), push_capabilities(), json!({"target": "cpus=2"})).await;
    let registered = c.wait(|m| m["method"] == "client/registerCapability").await;
    assert_eq!(registered["params"]["registrations"][0]["method"], "workspace/didChangeWatchedFiles");
    c.open("gunicorn.conf.py").await;
    let first = c.diagnostics("gunicorn.conf.py").await;
    let message = first["diagnostics"][1]["message"].as_str().unwrap_or_default();
    assert!(message.contains("(2 × 2) + 1 = 5"), "{message}");

    // The project's configuration changes on disk: the watcher says so, findings follow.
    let config = dir.path().join("stacklint.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(&config, text.replace("select = [", "ignore = [\"GUN001\"]\nselect = [")).unwrap_or_default();
    let uri = c.uri("stacklint.toml");
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri, "type": 2}]})).await;
    let reloaded = c.diagnostics("gunicorn.conf.py").await;
    assert_eq!(codes(&reloaded), ["GUN007"]);

    // The client's settings change: `ignore` on top of the file's.
    c.notify("workspace/didChangeConfiguration", json!({"settings": {"stacklint": {"ignore": ["GUN007"]}}})).await;
    let quiet = c.diagnostics("gunicorn.conf.py").await;
    assert_eq!(codes(&quiet), Vec::<String>::new());

    // A broken configuration file is shown to the user, not swallowed.
    std::fs::write(&config, "selct = []\n").unwrap_or_default();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri, "type": 2}]})).await;
    let shown = c.wait(|m| m["method"] == "window/showMessage").await;
    assert_snapshot!("config_error_shown", c.show(&shown["params"]));
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_diagnostics_when_the_client_asks() {
    let dir = fixture("web");
    let mut caps = push_capabilities();
    caps["textDocument"]["diagnostic"] = json!({"dynamicRegistration": false});
    let (mut c, init) = Client::start(dir.path(), caps, Value::Null).await;
    assert_eq!(init["result"]["capabilities"]["diagnosticProvider"]["interFileDependencies"], true);
    c.open("gunicorn.conf.py").await;
    let uri = c.uri("gunicorn.conf.py");
    let report = c.request("textDocument/diagnostic", json!({"textDocument": {"uri": uri}})).await;
    assert_eq!(report["result"]["kind"], "full");
    let items: Vec<&str> = report["result"]["items"].as_array().into_iter().flatten().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(items, ["GUN007", "GUN001"]);
    // Open files are pulled, not pushed.
    let pushed = c.published_so_far().await;
    assert!(pushed.is_empty(), "{pushed:?}");
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_and_panics_do_not_stop_the_server() {
    let dir = fixture("web");
    let (mut c, _) = Client::start(dir.path(), push_capabilities(), Value::Null).await;
    let conf = c.open("postgres/postgresql.conf").await;
    c.diagnostics("postgres/postgresql.conf").await;
    let uri = c.uri("postgres/postgresql.conf");
    let mut answers = Vec::new();

    c.send_raw(r#"{"jsonrpc":"2.0","id":901,"method":"textDocument/hover","params":{"bogus":true}}"#).await;
    answers.push(("hover with bad params", c.response(901).await["error"]["code"].clone()));
    let unknown = c.request("stacklint/noSuchMethod", json!({})).await;
    answers.push(("an unknown method", unknown["error"]["code"].clone()));
    let far = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": {"line": 99_999, "character": 99_999}})).await;
    answers.push(("hover far past the end", far["result"].clone()));
    let unopened = c.request("textDocument/codeAction", json!({"textDocument": {"uri": "untitled:Untitled-1"}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}})).await;
    answers.push(("code actions for an untitled buffer", unopened["result"].clone()));
    c.send_raw("{this is not json").await;
    let ignored = c.wait(|m| m["method"] == "window/logMessage" && m["params"]["message"].as_str().is_some_and(|s| s.contains("not JSON"))).await;
    answers.push(("a body that is not JSON", ignored["params"].clone()));
    let panic = c.request("stacklint/debugPanic", Value::Null).await;
    answers.push(("a panic in the engine", panic["error"].clone()));
    let logged = c.wait(|m| m["method"] == "window/logMessage" && m["params"]["message"].as_str().is_some_and(|s| s.contains("panicked"))).await;
    answers.push(("logged", logged["params"].clone()));

    // Still serving.
    let hover = c.request("textDocument/hover", json!({"textDocument": {"uri": uri}, "position": at(&conf, 1, "max_connections")})).await;
    let page = hover["result"]["contents"]["value"].as_str().unwrap_or_default();
    assert!(page.starts_with("### `max_connections`"), "{page}");
    let shown: Vec<String> = answers.iter().map(|(what, v)| format!("{what}: {v}")).collect();
    assert_snapshot!("survives", shown.join("\n"));
    c.stop().await;
}

/// A pull-model client: the server asks for the `stacklint` section after `initialized`
/// (its answer wins over `initializationOptions`) and again when told that the settings
/// changed without being sent them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_pulled_with_workspace_configuration() {
    let dir = fixture("web");
    let (mut c, _) = Client::start_with(dir.path(), push_capabilities(), json!({"target": "cpus=8"}), json!({"target": "cpus=2"})).await;
    let asked = c.wait(|m| m["method"] == "workspace/configuration").await;
    assert_snapshot!("configuration_asked", c.show(&asked["params"]));
    c.open("gunicorn.conf.py").await;
    let uri = c.uri("gunicorn.conf.py");
    // The first run may start before the answer lands: wait for the findings it brings.
    let pulled = c
        .wait(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str() && m["params"].to_string().contains("(2 × 2) + 1 = 5"))
        .await;
    assert_eq!(codes(&pulled["params"]), ["GUN007", "GUN001"]);
    c.published_so_far().await;

    c.set_configuration(json!({"target": "cpus=2", "ignore": ["GUN001"]}));
    c.notify("workspace/didChangeConfiguration", json!({"settings": null})).await;
    c.wait(|m| m["method"] == "workspace/configuration").await;
    let changed = c.diagnostics("gunicorn.conf.py").await;
    assert_eq!(codes(&changed), ["GUN007"]);
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_disk_is_read_again_when_the_watcher_says_it_changed() {
    let dir = fixture("web");
    let (mut c, _) = Client::start(dir.path(), push_capabilities(), Value::Null).await;
    let registered = c.wait(|m| m["method"] == "client/registerCapability").await;
    let watchers = &registered["params"]["registrations"][0]["registerOptions"]["watchers"];
    // Anything created or deleted (a folder too) changes what discovery finds.
    assert!(watchers.as_array().into_iter().flatten().any(|w| w["globPattern"] == "**/*" && w["kind"] == 5), "{watchers}");
    c.open("gunicorn.conf.py").await;
    assert_eq!(codes(&c.diagnostics("gunicorn.conf.py").await), ["GUN007", "GUN001"]);
    // A run after the registration's answer was surely handled: the disk is kept from here.
    c.change("gunicorn.conf.py", 2, [0, 0, 0, 0], "# edited\n").await;
    c.diagnostics("gunicorn.conf.py").await;

    // PostgreSQL takes 5 connections now: 4 workers need more. Kept texts are what the
    // runs read until the watcher reports the change; then the finding is published.
    let conf = dir.path().join("postgres/postgresql.conf");
    let text = std::fs::read_to_string(&conf).unwrap_or_default();
    std::fs::write(&conf, text.replace("max_connections = 60", "max_connections = 5")).unwrap_or_default();
    c.change("gunicorn.conf.py", 3, [0, 0, 0, 0], "# edited\n").await;
    c.diagnostics("gunicorn.conf.py").await;
    let unreported = c.published_so_far().await;
    assert!(unreported.iter().all(|p| !p["uri"].as_str().unwrap_or_default().ends_with("postgresql.conf")), "{unreported:?}");
    let uri = c.uri("postgres/postgresql.conf");
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri, "type": 2}]})).await;
    let postgres = c.diagnostics("postgres/postgresql.conf").await;
    assert_eq!(codes(&postgres), ["PGS008"]);

    // Deleted: discovery runs again, the file's findings are cleared.
    std::fs::remove_file(&conf).unwrap_or_default();
    c.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": uri, "type": 3}]})).await;
    let cleared = c.diagnostics("postgres/postgresql.conf").await;
    assert_eq!(cleared["diagnostics"], json!([]), "{cleared}");
    c.stop().await;
}
