//! A small W3C WebDriver client for the browser tests: it starts Debian's `chromedriver`, opens
//! headless Chromium sessions and speaks the protocol's JSON over HTTP.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether the browser tests can run here; in CI (`BROWSER_TESTS=required`) a missing browser
/// is a failure, elsewhere the test says it skipped.
pub fn available(test: &str) -> bool {
    let present =
        std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("BROWSER_TESTS").as_deref() == Ok("required") || crate::helpers::in_ci() {
            panic!("{test}: chromium and chromium-driver are required (apt-get install chromium chromium-driver)");
        }
        crate::helpers::say_skipped(&format!("{test}: no {CHROMIUM} / {CHROMEDRIVER} (apt-get install chromium chromium-driver; bash .ci/run installs them)"));
    }
    present
}

/// A running chromedriver, stopped on drop.
pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
    _profiles: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start() -> Driver {
        // Port 0: chromedriver binds a free port and prints it ("… started successfully on
        // port N."); choosing a port here and releasing it raced with the other tests.
        let mut child = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let port = crate::helpers::announced_port(
            child.stdout.take().expect("piped stdout"),
            "successfully on port ",
        );
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver {
            child,
            base,
            http,
            _profiles: tempfile::tempdir().unwrap(),
        }
    }

    /// A new headless browser with its own profile (cookies), at `width` × `height`.
    pub async fn session(&self, width: u32, height: u32) -> Session {
        let profile = self._profiles.path().join(uuid::Uuid::new_v4().to_string());
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                    "--lang=th-TH",
                ]
            }
        }}});
        let res: Value = self
            .http
            .post(format!("{}/session", self.base))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_string();
        let s = Session {
            http: self.http.clone(),
            base: format!("{}/session/{id}", self.base),
            size: (width, height),
        };
        s.cmd(
            "POST",
            "/timeouts",
            json!({"script": 60000, "pageLoad": 60000}),
        )
        .await;
        s.set_size(width, height).await;
        s
    }
}

/// One browser window.
pub struct Session {
    http: reqwest::Client,
    base: String,
    pub size: (u32, u32),
}

/// An element found on the page.
#[derive(Clone)]
pub struct Element(String);

impl Session {
    async fn try_cmd(&self, method: &str, path: &str, body: Value) -> Result<Value, Value> {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let res: Value = req.send().await.unwrap().json().await.unwrap();
        let value = res["value"].clone();
        if value.get("error").is_some() {
            Err(value)
        } else {
            Ok(value)
        }
    }

    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        self.try_cmd(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"))
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url })).await;
    }

    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", json!({}))
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self
                .try_cmd(
                    "POST",
                    "/element",
                    json!({"using": "css selector", "value": css}),
                )
                .await
            {
                Ok(v) => return Element(v[ELEMENT].as_str().unwrap().to_string()),
                Err(e) if Instant::now() > deadline => {
                    let url = self.url().await;
                    panic!("no element {css} on {url}: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn click(&self, el: &Element) {
        self.cmd("POST", &format!("/element/{}/click", el.0), json!({}))
            .await;
    }

    pub async fn type_into(&self, el: &Element, text: &str) {
        self.cmd("POST", &format!("/element/{}/clear", el.0), json!({}))
            .await;
        self.cmd(
            "POST",
            &format!("/element/{}/value", el.0),
            json!({ "text": text }),
        )
        .await;
    }

    pub async fn text(&self, el: &Element) -> String {
        self.cmd("GET", &format!("/element/{}/text", el.0), json!({}))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn attr(&self, el: &Element, name: &str) -> Option<String> {
        self.cmd(
            "GET",
            &format!("/element/{}/attribute/{name}", el.0),
            json!({}),
        )
        .await
        .as_str()
        .map(str::to_string)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Runs an asynchronous script: it calls `arguments[arguments.length - 1]` with its result.
    pub async fn js_async(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/async",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Waits until `condition` (a JS expression) is true, or panics with `what`.
    pub async fn wait_for(&self, condition: &str, what: &str) {
        self.wait_for_within(condition, what, 20).await
    }

    /// As [`Session::wait_for`], for something the page does on its own timer.
    pub async fn wait_for_within(&self, condition: &str, what: &str, seconds: u64) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let script = format!("return !!({condition});");
        loop {
            if self.js(&script, json!([])).await == Value::Bool(true) {
                return;
            }
            if Instant::now() > deadline {
                let url = self.url().await;
                let text = self
                    .js(
                        "return document.body ? document.body.innerText : '';",
                        json!([]),
                    )
                    .await;
                panic!("timed out waiting for {what} on {url}; the page says: {text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn screenshot(&self) -> Vec<u8> {
        let b64 = self.cmd("GET", "/screenshot", json!({})).await;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap()
    }

    /// Cuts the browser off the network (true) or reconnects it (false).
    pub async fn set_offline(&self, offline: bool) {
        self.cmd(
            "POST",
            "/chromium/network_conditions",
            json!({"network_conditions": {
                "offline": offline, "latency": 0,
                "download_throughput": -1, "upload_throughput": -1
            }}),
        )
        .await;
    }

    pub async fn close(self) {
        let _ = self.try_cmd("DELETE", "", json!({})).await;
    }
}
