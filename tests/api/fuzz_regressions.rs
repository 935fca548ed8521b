//! Replays, through the same property checks the fuzz targets assert (`fuzz/src/checks.rs`),
//! every hand-written seed in `fuzz/seeds/<target>/` and every input a fuzz run once failed on,
//! kept in `tests/fuzz_regressions/<target>/`, so a fixed finding stays fixed. See
//! `fuzz/README.md`.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

/// The files of a folder, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_and_every_saved_fuzz_finding_passes_its_property_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    let mut failed = Vec::new();
    for target in checks::TARGETS {
        // A missing or emptied seed folder used to give zero replays unnoticed (issue 28).
        let seeds = root.join("fuzz/seeds").join(target);
        assert!(
            !inputs(&seeds).is_empty(),
            "{} is missing or empty",
            seeds.display()
        );
        for dir in [
            root.join("fuzz/seeds").join(target),
            root.join("tests/fuzz_regressions").join(target),
        ] {
            for file in inputs(&dir) {
                let data = std::fs::read(&file).unwrap();
                replayed += 1;
                match std::panic::catch_unwind(|| checks::run(target, &data)) {
                    Ok(known) => assert!(known, "no fuzz target named {target}"),
                    Err(_) => failed.push(file.display().to_string()),
                }
            }
        }
    }
    assert!(
        failed.is_empty(),
        "inputs that break a property: {failed:?}"
    );
    assert!(replayed > 50, "the seeds are there: {replayed}");
}

#[test]
fn every_folder_of_saved_findings_names_a_fuzz_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    for entry in std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !entry.path().is_dir() || checks::TARGETS.contains(&name.as_str()),
            "tests/fuzz_regressions/{name}/ is not a fuzz target: {:?}",
            checks::TARGETS
        );
    }
}
