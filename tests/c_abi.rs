//! The C tests in `tests/c/` (functional tests of every exported function, the bad-input matrix,
//! concurrent routing), built with `-Wall -Wextra -Werror -pedantic` as C11 and as C++17 against
//! the static and the shared library `cargo test` just built, run under AddressSanitizer +
//! UndefinedBehaviorSanitizer and under valgrind.
//!
//! Without a C compiler, sanitizer runtime, valgrind or nm a variant says so and passes — unless
//! `NP700_REQUIRE_C_TESTS=1` (`.ci/run` sets it), which makes any missing tool a failure, so CI
//! never skips one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where cargo put this test's dependencies, the C libraries among them.
fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().expect("deps directory").to_path_buf()
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_tests");
    std::fs::create_dir_all(&dir).expect("create the build directory");
    dir
}

/// A tool missing: a failure in CI, else a note and a skip.
fn unavailable(what: &str) {
    if std::env::var_os("NP700_REQUIRE_C_TESTS").is_some_and(|v| v == "1") {
        panic!("NP700_REQUIRE_C_TESTS=1 but {what}");
    }
    eprintln!("SKIPPED: {what}");
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The harness's sources, in a stable order.
fn sources() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/c"))
        .expect("tests/c")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "tests/c holds the harness and its suites");
    files
}

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    C11,
    Cxx17,
}

#[derive(Clone, Copy, PartialEq)]
enum Link {
    Static,
    Shared,
}

const SANITIZE: [&str; 3] = [
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=all",
];

/// Compiles the harness; `None` (after `unavailable`) when the compiler or its sanitizer runtime
/// is missing.
fn build(name: &str, lang: Lang, link: Link, sanitize: bool) -> Option<PathBuf> {
    let compiler = match lang {
        Lang::C11 => "cc",
        Lang::Cxx17 => "c++",
    };
    if !runs(compiler, &["--version"]) {
        unavailable(&format!("no {compiler} for {name}"));
        return None;
    }
    let dir = out_dir();
    if sanitize && !sanitizers_work(compiler, &dir) {
        unavailable(&format!(
            "{compiler} cannot build and run with {SANITIZE:?}"
        ));
        return None;
    }
    let exe = dir.join(name);
    let deps = deps_dir();
    let mut cmd = Command::new(compiler);
    cmd.args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-g", "-pthread"])
        .arg("-I")
        .arg(root().join("include"))
        .arg("-I")
        .arg(root().join("tests/c"));
    match lang {
        Lang::C11 => cmd.arg("-std=c11"),
        Lang::Cxx17 => cmd.args(["-std=c++17", "-x", "c++"]),
    };
    if sanitize {
        cmd.args(SANITIZE).arg("-DNP700_CTEST_SANITIZERS");
    }
    // Anything after `-x none` is a library, not source.
    cmd.args(sources()).args(["-x", "none", "-o"]).arg(&exe);
    match link {
        Link::Static => {
            cmd.arg(deps.join("libnp700.a"))
                .args(["-lpthread", "-ldl", "-lm"]);
        }
        Link::Shared => {
            cmd.arg("-L")
                .arg(&deps)
                .arg("-lnp700")
                .arg(format!("-Wl,-rpath,{}", deps.display()));
        }
    }
    let built = cmd.output().expect("run the compiler");
    assert!(
        built.status.success(),
        "{name} did not build:\n{}",
        text(&built.stderr)
    );
    Some(exe)
}

/// Whether `compiler` builds and runs a program with ASan and UBSan here.
fn sanitizers_work(compiler: &str, dir: &Path) -> bool {
    let src = dir.join(format!("probe-{compiler}.c"));
    let exe = dir.join(format!("probe-{compiler}"));
    std::fs::write(&src, "int main(void) { return 0; }\n").expect("write the probe");
    let mut cmd = Command::new(compiler);
    if compiler == "c++" {
        cmd.args(["-x", "c++"]);
    }
    let built = cmd
        .args(SANITIZE)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .is_ok_and(|o| o.status.success());
    built
        && Command::new(&exe)
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Runs the harness and checks its verdict: exit 0 and "N passed, 0 failed".
fn check_run(name: &str, out: &Output) -> (u64, String) {
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    let verdict = stdout.lines().rev().find_map(|l| {
        let (passed, failed) = l.split_once(" passed, ")?;
        let failed = failed.strip_suffix(" failed")?;
        Some((passed.parse::<u64>().ok()?, failed.parse::<u64>().ok()?))
    });
    let shown = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let Some((passed, failed)) = verdict else {
        panic!(
            "{name}: no \"N passed, N failed\" line ({})\n{shown}",
            out.status
        );
    };
    assert!(
        out.status.success() && failed == 0,
        "{name}: {passed} passed, {failed} failed ({})\n{shown}",
        out.status
    );
    // Enough checks ran to be the whole suite, not a run cut short.
    assert!(passed > 10_000, "{name}: only {passed} checks\n{shown}");
    for line in stdout.lines().filter(|l| {
        l.starts_with("bad-input matrix:") || l.contains(" routes from ") || l.contains(" passed, ")
    }) {
        eprintln!("{name}: {line}");
    }
    (passed, stderr)
}

fn run_plain(name: &str, lang: Lang, link: Link) {
    let Some(exe) = build(name, lang, link, false) else {
        return;
    };
    let out = Command::new(&exe).output().expect("run the C tests");
    check_run(name, &out);
}

#[test]
fn c11_static() {
    run_plain("ctest_c11_static", Lang::C11, Link::Static);
}

#[test]
fn c11_shared() {
    run_plain("ctest_c11_shared", Lang::C11, Link::Shared);
}

#[test]
fn cxx17_static() {
    run_plain("ctest_cxx17_static", Lang::Cxx17, Link::Static);
}

#[test]
fn cxx17_shared() {
    run_plain("ctest_cxx17_shared", Lang::Cxx17, Link::Shared);
}

/// The symbols `nm` lists for `exe` (with `flags`), or `None` (after `unavailable`).
fn symbols(exe: &Path, flags: &[&str]) -> Option<String> {
    let Ok(out) = Command::new("nm").args(flags).arg(exe).output() else {
        unavailable("no nm");
        return None;
    };
    assert!(
        out.status.success(),
        "nm {}: {}",
        exe.display(),
        text(&out.stderr)
    );
    Some(text(&out.stdout))
}

fn run_sanitized(name: &str, lang: Lang, link: Link) {
    let Some(exe) = build(name, lang, link, true) else {
        return;
    };
    // The instrumentation is really in the binary ...
    let Some(syms) = symbols(&exe, &[]) else {
        return;
    };
    for wanted in ["__asan_init", "__ubsan_handle_"] {
        assert!(syms.contains(wanted), "{name} has no {wanted}* symbol");
    }
    // ... and really catches errors: a heap overflow and a signed overflow each abort.
    for (flag, report) in [
        ("--asan-selftest", "heap-buffer-overflow"),
        ("--ubsan-selftest", "signed integer overflow"),
    ] {
        let out = Command::new(&exe)
            .arg(flag)
            .output()
            .expect("run a self-test");
        let stderr = text(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(report),
            "{name} {flag} was not caught ({}):\n{stderr}",
            out.status
        );
    }
    let out = Command::new(&exe)
        .env(
            "ASAN_OPTIONS",
            "detect_leaks=1:halt_on_error=1:check_initialization_order=1",
        )
        .env("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        .output()
        .expect("run the C tests");
    let (_, stderr) = check_run(name, &out);
    assert!(
        !stderr.contains("ERROR: AddressSanitizer")
            && !stderr.contains("ERROR: LeakSanitizer")
            && !stderr.contains("runtime error:"),
        "{name}: sanitizer reports:\n{stderr}"
    );
    eprintln!("{name}: AddressSanitizer, LeakSanitizer and UBSan: 0 reports");
}

#[test]
fn asan_ubsan_c11_static() {
    run_sanitized("ctest_asan_ubsan_c11_static", Lang::C11, Link::Static);
}

#[test]
fn asan_ubsan_cxx17_shared() {
    run_sanitized("ctest_asan_ubsan_cxx17_shared", Lang::Cxx17, Link::Shared);
}

/// The summary number valgrind prints after `label` (e.g. "definitely lost:"), if it does.
fn valgrind_count(report: &str, label: &str) -> Option<u64> {
    let rest = &report[report.find(label)? + label.len()..];
    let number: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    number.parse().ok()
}

#[test]
fn valgrind_c11_shared() {
    let name = "ctest_valgrind_c11_shared";
    if !runs("valgrind", &["--version"]) {
        unavailable("no valgrind");
        return;
    }
    let Some(exe) = build(name, Lang::C11, Link::Shared, false) else {
        return;
    };
    let out = Command::new("valgrind")
        .args([
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
        ])
        .arg(&exe)
        // The concurrency test with fewer iterations: valgrind runs one thread at a time.
        .env("NP700_CTEST_QUICK", "1")
        .output()
        .expect("run valgrind");
    let (_, report) = check_run(name, &out);
    let errors = valgrind_count(&report, "ERROR SUMMARY:");
    assert_eq!(errors, Some(0), "{name}: valgrind errors:\n{report}");
    let lost = valgrind_count(&report, "definitely lost:").unwrap_or(0);
    assert!(
        lost == 0 && !report.contains("Invalid read") && !report.contains("Invalid write"),
        "{name}: valgrind:\n{report}"
    );
    eprintln!("{name}: valgrind: 0 errors, {lost} bytes definitely lost");
}

/// The functions `include/np700.h` declares.
fn header_functions() -> Vec<String> {
    let header = std::fs::read_to_string(root().join("include/np700.h")).expect("np700.h");
    let mut names: Vec<String> = header
        .lines()
        // Declarations start at the first column with their return type.
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()) && !l.starts_with("typedef"))
        .filter_map(|l| {
            // The identifier just before the first '('.
            let before = &l[..l.find('(')?];
            let start = before
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            Some(before[start..].to_owned())
        })
        .filter(|n| n.starts_with("np700_"))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Every function the header declares is called by the C tests (the shared-linked harness
/// imports each one), and the library exports exactly those.
#[test]
fn every_exported_function_is_tested() {
    let declared = header_functions();
    assert!(declared.len() >= 37, "header functions: {declared:?}");
    let Some(exe) = build("ctest_symbols", Lang::C11, Link::Shared, false) else {
        return;
    };
    let Some(imported) = symbols(&exe, &["-D", "--undefined-only"]) else {
        return;
    };
    let imported: Vec<&str> = imported
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    let missing: Vec<&String> = declared
        .iter()
        .filter(|f| !imported.contains(&f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "functions in np700.h that tests/c never calls: {missing:?}"
    );
    let Some(exported) = symbols(&deps_dir().join("libnp700.so"), &["-D", "--defined-only"]) else {
        return;
    };
    let mut exported: Vec<&str> = exported
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|s| s.starts_with("np700_"))
        .collect();
    exported.sort_unstable();
    assert_eq!(exported, declared, "libnp700.so exports vs np700.h");
    eprintln!(
        "all {} functions of np700.h are called by tests/c",
        declared.len()
    );
}
