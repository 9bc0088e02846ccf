//! Imports every module the testdata cases generate with a real `python3`, against the stub
//! factories in each `before/` tree, and checks that `application` is exactly what the entry
//! point's target returned, built once (`tests/python/check_imports.py`); so is every module the
//! tree already had for a script.

use std::process::Command;

use crate::support::{self, describe, stdout, wsgi_migrate};

#[test]
fn generated_modules_import_and_build_their_application_once() {
    let mut n_modules = 0;
    for case in support::cases() {
        let before = case.dir.join("before");
        if !case.dir.join("after").exists() {
            continue;
        }
        let mut args = vec!["scan", "--format", "json"];
        args.extend(case.args.iter().map(String::as_str));
        args.push(before.to_str().unwrap());
        let scan = wsgi_migrate(&args);
        assert_eq!(scan.status.code(), Some(0), "{}", describe(&scan));
        let report: serde_json::Value = serde_json::from_str(&stdout(&scan)).unwrap();
        let pairs: Vec<String> = report["entry_points"]
            .as_array()
            .unwrap()
            .iter()
            // Modules the tree already had (`exists`) are held to the same standard.
            .filter(|entry| entry["status"] == "generate" || entry["status"] == "exists")
            .map(|entry| {
                format!(
                    "{}={}",
                    entry["module"].as_str().unwrap(),
                    entry["target"].as_str().unwrap()
                )
            })
            .collect();
        if pairs.is_empty() {
            continue;
        }
        n_modules += pairs.len();
        let output = Command::new("python3")
            .arg(support::manifest_dir().join("tests/python/check_imports.py"))
            .arg(case.dir.join("after"))
            .args(&pairs)
            .output()
            .expect("python3 is needed for this test (install it; the test never skips)");
        assert!(
            output.status.success(),
            "{}: {}",
            case.name,
            describe(&output)
        );
    }
    assert!(
        n_modules >= 10,
        "only {n_modules} generated modules were checked"
    );
}

/// `--dev-server` keeps PBR's development server: `python -m <module>` serves the application
/// on the given host and port, and refuses arguments not behind `--`.
#[test]
fn dev_server_serves_the_application_on_loopback() {
    use std::io::{Read as _, Write as _};
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};

    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("glance");
    support::copy_tree(&support::testdata().join("corpus-glance/before"), &root);
    let applied = wsgi_migrate(&["apply", "--quiet", "--dev-server", root.to_str().unwrap()]);
    assert_eq!(applied.status.code(), Some(0), "{}", describe(&applied));

    let python = |args: &[&str]| {
        let mut command = Command::new("python3");
        command
            .arg("-B")
            .args(args)
            .current_dir(&root)
            .env("PYTHONPATH", &root)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        command
    };
    let help = python(&["-m", "glance.wsgi.api", "--help"])
        .output()
        .expect("python3 runs");
    assert!(
        help.status.success() && stdout(&help).contains("-- [passed options]"),
        "{}",
        describe(&help)
    );
    let stray = python(&["-m", "glance.wsgi.api", "--port", "1", "stray"])
        .output()
        .unwrap();
    assert_eq!(stray.status.code(), Some(2), "{}", describe(&stray));

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = python(&[
        "-m",
        "glance.wsgi.api",
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--",
        "--config-file",
        "x.conf",
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let response = loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream
                .write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            break response;
        }
        if Instant::now() > deadline || server.try_wait().unwrap().is_some() {
            break String::new();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        response.starts_with("HTTP/1.0 200 OK"),
        "no answer from the dev server: {response:?}"
    );
    assert!(response.ends_with("glance-api"), "{response:?}");
}
