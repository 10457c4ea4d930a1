//! The C and C++ examples in `examples/c/`, built with `-Wall -Wextra -Werror -pedantic` as C11
//! and C++17 against the static and the shared library `cargo test` just built, and run.
//!
//! The installed library (cargo-c, pkg-config) is exercised by `.ci/run`; this keeps the header
//! and examples honest on every `cargo test`. Without a C compiler the tests say so and pass.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where cargo put this test's dependencies, the C libraries among them.
fn deps_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent().expect("deps directory").to_path_buf()
}

fn have(compiler: &str) -> bool {
    Command::new(compiler)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[derive(Clone, Copy)]
enum Link {
    Static,
    Shared,
}

/// Compiles `source` with `compiler` and `flags`, links it against np700, runs it, and returns
/// its standard output.
fn build_and_run(
    name: &str,
    compiler: &str,
    flags: &[&str],
    source: &str,
    link: Link,
) -> Option<String> {
    if !have(compiler) {
        eprintln!("SKIPPED {name}: no {compiler}");
        return None;
    }
    let deps = deps_dir();
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_examples");
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(name);
    let mut cmd = Command::new(compiler);
    cmd.args(["-Wall", "-Wextra", "-Werror", "-pedantic"])
        .args(flags)
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join(source))
        // Anything after this is a library, not source (matters with `-x c++`).
        .args(["-x", "none"])
        .arg("-o")
        .arg(&exe);
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
        String::from_utf8_lossy(&built.stderr)
    );
    let ran = Command::new(&exe).output().expect("run the example");
    let stdout = String::from_utf8_lossy(&ran.stdout).into_owned();
    assert!(
        ran.status.success(),
        "{name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    Some(stdout)
}

fn check_quickstart(out: &str) {
    for expected in [
        "ROUTE to +8613800000001 shown 700100000010001",
        "REJECT caller not permitted (SIP 403)",
        "recorded)",
        "then +8613500000002 then +8613500000003",
        "COLLECT 4 more digits",
        "NP700_ERR_HELD_BY_ANOTHER_TENANT",
        "ANNOUNCE \"service ended\"",
        "free again -> NP700_ERR_INVALID_HANDLE",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn quickstart_c11_static() {
    let flags = ["-std=c11"];
    if let Some(out) = build_and_run(
        "quickstart_c_static",
        "cc",
        &flags,
        "examples/c/quickstart.c",
        Link::Static,
    ) {
        check_quickstart(&out);
    }
}

#[test]
fn quickstart_c11_shared() {
    let flags = ["-std=c11"];
    if let Some(out) = build_and_run(
        "quickstart_c_shared",
        "cc",
        &flags,
        "examples/c/quickstart.c",
        Link::Shared,
    ) {
        check_quickstart(&out);
    }
}

#[test]
fn quickstart_as_cxx17() {
    let flags = ["-std=c++17", "-x", "c++"];
    if let Some(out) = build_and_run(
        "quickstart_cxx",
        "c++",
        &flags,
        "examples/c/quickstart.c",
        Link::Static,
    ) {
        check_quickstart(&out);
    }
}

#[test]
fn raii_wrapper_cxx17() {
    let flags = ["-std=c++17"];
    if let Some(out) = build_and_run(
        "quickstart_cpp",
        "c++",
        &flags,
        "examples/c/quickstart.cpp",
        Link::Shared,
    ) {
        assert!(out.contains("reader  : ROUTE to +8613800000001"), "{out}");
        assert!(out.contains("refused as expected: NP700_ERR_"), "{out}");
    }
}

/// The header twice in one unit, as C and as C++, and the composite version macro.
#[test]
fn header_is_self_contained_and_idempotent() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_examples");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("twice.c");
    std::fs::write(
        &src,
        "#include <np700.h>\n#include <np700.h>\n\
         _Static_assert(NP700_VERSION_NUMBER == NP700_VERSION_MAJOR * 1000000 + \
         NP700_VERSION_MINOR * 1000 + NP700_VERSION_PATCH, \"composite version\");\n\
         int main(void) { return np700_version_number() == NP700_VERSION_NUMBER ? 0 : 1; }\n",
    )
    .unwrap();
    for (compiler, std) in [("cc", "-std=c11"), ("c++", "-std=c++17")] {
        if !have(compiler) {
            continue;
        }
        let mut cmd = Command::new(compiler);
        cmd.args([
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            std,
            "-fsyntax-only",
            "-I",
        ])
        .arg(root().join("include"));
        if compiler == "c++" {
            cmd.args(["-x", "c++", "-D_Static_assert=static_assert"]);
        }
        let out = cmd.arg(&src).output().unwrap();
        assert!(
            out.status.success(),
            "{compiler}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
