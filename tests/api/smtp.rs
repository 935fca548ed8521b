//! A small but real SMTP server for tests: speaks ESMTP over TCP and keeps what it receives.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message as received: envelope plus the raw DATA.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

impl Received {
    /// The header block (before the first empty line), unfolded.
    pub fn header_lines(&self) -> Vec<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut out: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some(last) = out.last_mut() {
                    last.push_str(line);
                }
            } else {
                out.push(line.to_string());
            }
        }
        out
    }

    /// The decoded text of every MIME part (base64 and quoted-printable undone).
    pub fn decoded_text(&self) -> String {
        use base64::Engine;
        let mut out = String::new();
        for part in self.data.split("\r\n--") {
            let Some((head, body)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let head = head.to_ascii_lowercase();
            let body = body.split("\r\n--").next().unwrap_or("");
            if head.contains("content-transfer-encoding: base64") {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact) {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            } else if head.contains("content-transfer-encoding: quoted-printable") {
                out.push_str(&decode_qp(body));
            } else {
                out.push_str(body);
            }
            out.push('\n');
        }
        out
    }

    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<String> {
        self.header_lines().into_iter().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// While false, every connection is answered "421" and closed: the port is held (no other
    /// program can take it between two phases of a test) but the mail service is down.
    up: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        Self::start_on(0).await
    }

    /// A server that holds its port but refuses mail (421) until `bring_up`.
    pub async fn start_down() -> SmtpServer {
        let server = Self::start().await;
        server.up.store(false, std::sync::atomic::Ordering::SeqCst);
        server
    }

    /// From now on the server takes mail.
    pub fn bring_up(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    async fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("bind SMTP port {port}: {e}"));
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let store = received.clone();
        let serving = up.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                if !serving.load(std::sync::atomic::Ordering::SeqCst) {
                    use tokio::io::AsyncWriteExt;
                    let _ = sock
                        .write_all(b"421 test.local Service not available\r\n")
                        .await;
                    continue;
                }
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(sock, store).await;
                });
            }
        });
        SmtpServer {
            port,
            received,
            up,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived (or the timeout passes) and returns them all.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while self.messages().len() < n && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        self.messages()
    }
}

async fn session(
    sock: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 test-smtp ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut rcpt: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            w.write_all(b"250 test-smtp\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = addr(&cmd[10..]);
            rcpt.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            rcpt.push(addr(&cmd[8..]));
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            store.lock().unwrap().push(Received {
                mail_from: from.clone(),
                rcpt_to: std::mem::take(&mut rcpt),
                data,
            });
            w.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "RSET" || upper == "NOOP" {
            rcpt.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"502 command not implemented\r\n").await?;
        }
    }
}

fn addr(s: &str) -> String {
    let s = s.trim();
    let s = s.split_whitespace().next().unwrap_or("");
    s.trim_start_matches('<').trim_end_matches('>').to_string()
}

fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}
