//! The access log (`ServerBuilder::access_log`): one record per response on
//! target `mini_async_http::access`, in the documented format, escaped, off
//! by default, and not even handed to the logger while the logger leaves
//! the target out.
//!
//! `log` has one logger per process, so these tests have a binary of their
//! own, share one capturing logger, and take turns (`TURN`).

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use log::{Level, LevelFilter, Log, Metadata, Record};
use mini_async_http::{AIOServer, ResponseBuilder, ServerBuilder};
use support::{TestServer, get, ms, path_echo};

const TARGET: &str = "mini_async_http::access";

/// Keeps every record on the access target (formatted as the logger would)
/// and counts the calls for it.
struct Capture {
    records: Mutex<Vec<(Level, String)>>,
    /// Whether `enabled` says yes to the access target.
    wanted: AtomicBool,
}

impl Log for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == TARGET && self.wanted.load(Ordering::SeqCst)
    }

    fn log(&self, record: &Record<'_>) {
        if record.target() == TARGET {
            let line = record.args().to_string();
            self.records.lock().unwrap().push((record.level(), line));
        }
    }

    fn flush(&self) {}
}

static CAPTURE: Capture = Capture {
    records: Mutex::new(Vec::new()),
    wanted: AtomicBool::new(true),
};
static TURN: Mutex<()> = Mutex::new(());

/// Installs the logger (once), empties it, and holds the turn.
fn turn(wanted: bool) -> MutexGuard<'static, ()> {
    let guard = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let _ = log::set_logger(&CAPTURE);
    log::set_max_level(LevelFilter::Trace);
    CAPTURE.wanted.store(wanted, Ordering::SeqCst);
    CAPTURE.records.lock().unwrap().clear();
    guard
}

/// Waits (bounded) for `n` records; a record is made after its response is
/// queued, so it may come just after the client has read the response.
fn records(n: usize) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let records = CAPTURE.records.lock().unwrap().clone();
        if records.len() >= n {
            assert!(records.iter().all(|(level, _)| *level == Level::Info));
            return records.into_iter().map(|(_, line)| line).collect();
        }
        assert!(Instant::now() < until, "only {records:?}");
        std::thread::sleep(ms(5)); // polls the capture, bounded above
    }
}

fn logged(builder: ServerBuilder) -> TestServer {
    TestServer::with(builder.workers(1).access_log(true), path_echo)
}

/// Splits `[06/Nov/1994:08:49:37 +0000]` off the front of `rest`, checking
/// its shape.
fn take_date(rest: &str) -> &str {
    let (date, rest) = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .unwrap();
    let b = date.as_bytes();
    assert_eq!(date.len(), 26, "{date}");
    assert!(
        b[0..2].iter().all(u8::is_ascii_digit) && b[2] == b'/',
        "{date}"
    );
    assert!(
        b[3..6].iter().all(u8::is_ascii_alphabetic) && b[6] == b'/',
        "{date}"
    );
    assert!(
        b[7..11].iter().all(u8::is_ascii_digit) && b[11] == b':',
        "{date}"
    );
    assert!(date.ends_with(" +0000"), "{date}");
    rest
}

#[test]
fn each_response_gets_one_record_in_combined_format() {
    let _turn = turn(true);
    let server = logged(AIOServer::builder());
    let mut c = server.connect();
    c.send(
        "GET /a?b=1 HTTP/1.1\r\nHost: t\r\nReferer: http://ref/\r\nUser-Agent: agent/1.0\r\n\r\n",
    );
    assert_eq!(c.read_response().body_str(), "/a");
    c.send("HEAD /head HTTP/1.1\r\nHost: t\r\n\r\n");
    c.read_response_to("HEAD");
    let got = records(2);
    let peer = c.local_addr().ip().to_string();
    let rest = got[0].strip_prefix(&format!("{peer} - - ")).unwrap();
    let rest = take_date(rest);
    let micros = rest
        .strip_prefix("\"GET /a?b=1 HTTP/1.1\" 200 2 \"http://ref/\" \"agent/1.0\" ")
        .and_then(|r| r.strip_suffix("us"))
        .unwrap_or_else(|| panic!("{rest}"));
    assert!(micros.parse::<u64>().is_ok(), "{micros}");
    let rest = take_date(got[1].strip_prefix(&format!("{peer} - - ")).unwrap());
    assert!(
        rest.starts_with("\"HEAD /head HTTP/1.1\" 200 - \"-\" \"-\" "),
        "{rest}"
    );

    // Input the server rejects is logged too, without a request line.
    let mut bad = server.connect();
    bad.send("GET / HTTP/1.1\r\n\r\n");
    assert_eq!(bad.read_response().status, 400);
    let got = records(3);
    let rest = take_date(got[2].strip_prefix(&format!("{peer} - - ")).unwrap());
    assert!(rest.starts_with("\"-\" 400 "), "{rest}");
    assert_eq!(got.len(), 3);
}

#[test]
fn the_record_carries_the_date_of_its_response() {
    let _turn = turn(true);
    let server = logged(AIOServer::builder());
    let mut c = server.connect();
    c.send("GET /d HTTP/1.1\r\nHost: t\r\n\r\n");
    let resp = c.read_response();
    // `Sun, 06 Nov 1994 08:49:37 GMT` → `[06/Nov/1994:08:49:37 +0000]`.
    let date = resp.header("date").expect("a Date header");
    let (_, day_and_time) = date.split_once(", ").unwrap();
    let parts: Vec<&str> = day_and_time.split(' ').collect();
    let want = format!(
        "[{}/{}/{}:{} +0000]",
        parts[0], parts[1], parts[2], parts[3]
    );
    let got = records(1);
    assert!(got[0].contains(&want), "{} against {date}", got[0]);
}

#[test]
fn off_by_default() {
    let _turn = turn(true);
    let server = TestServer::start(1, path_echo);
    let mut c = server.connect();
    c.send(get("/quiet"));
    c.read_response();
    server.stop(); // the worker has finished its job: any record is in
    assert!(CAPTURE.records.lock().unwrap().is_empty());
}

#[test]
fn nothing_reaches_the_logger_when_the_target_is_disabled() {
    let _turn = turn(false);
    let server = logged(AIOServer::builder());
    let mut c = server.connect();
    c.send(get("/unwanted"));
    c.read_response();
    server.stop();
    // `log::info!` itself would call `log` without asking `enabled`; the
    // server asked and did not format or send anything.
    assert!(CAPTURE.records.lock().unwrap().is_empty());
}

#[test]
fn client_fields_cannot_forge_a_record() {
    let _turn = turn(true);
    let server = logged(AIOServer::builder());
    let mut c = server.connect();
    let forged_ua = "x\" 200 - \"-\" \"evil\\";
    c.send(format!(
        "GET /q?\"x\" HTTP/1.1\r\nHost: t\r\nUser-Agent: {forged_ua}\r\nReferer: é\r\n\r\n"
    ));
    assert_eq!(c.read_response().status, 200);
    let got = records(1);
    let rest = take_date(got[0].split_once(" - - ").unwrap().1);
    assert_eq!(
        rest.rsplit_once(' ').unwrap().0,
        "\"GET /q?\\\"x\\\" HTTP/1.1\" 200 2 \"\\xC3\\xA9\" \"x\\\" 200 - \\\"-\\\" \\\"evil\\\\\"",
    );
    // Every quote inside a field is escaped: the record has exactly the
    // six quotes that delimit its three quoted fields.
    let unescaped = rest.replace("\\\\", "").replace("\\\"", "");
    assert_eq!(unescaped.matches('"').count(), 6, "{rest}");
}

#[test]
fn records_name_the_client_behind_a_trusted_proxy() {
    let _turn = turn(true);
    let server = TestServer::with(
        AIOServer::builder()
            .workers(1)
            .access_log(true)
            .trusted_proxies(["127.0.0.0/8"]),
        |req: &mini_async_http::Request| {
            ResponseBuilder::empty_200()
                .body(req.client_ip().to_string())
                .build()
                .unwrap()
        },
    );
    let mut c = server.connect();
    c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.9\r\n\r\n");
    assert_eq!(c.read_response().body_str(), "203.0.113.9");
    assert!(records(1)[0].starts_with("203.0.113.9 - - ["));
}
