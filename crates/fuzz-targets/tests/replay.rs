//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through every target on
//! stable, without libFuzzer: what a campaign once found (and its seeds) keeps passing.
//!
//! A target with no corpus directory, or an empty one, fails the test: a replay that reads
//! nothing would pass without checking anything.

use std::path::PathBuf;

use sigstack_fuzz_targets::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

#[test]
fn every_target_replays_its_corpus() {
    let mut missing = Vec::new();
    for (name, target) in TARGETS {
        let dir = corpus_dir(name);
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .map(|e| e.expect("readable corpus entry").path())
                .filter(|p| p.is_file())
                .collect(),
            Err(_) => Vec::new(),
        };
        if files.is_empty() {
            missing.push(*name);
            continue;
        }
        files.sort();
        let started = std::time::Instant::now();
        let count = files.len();
        for file in files {
            let data = std::fs::read(&file).expect("readable corpus file");
            // A panic names the file, so a failing input can be run again alone.
            let result = std::panic::catch_unwind(|| target(&data));
            assert!(result.is_ok(), "{name} panicked on {}", file.display());
        }
        // Shown with --nocapture: where the replay's time goes.
        eprintln!("{name}: {count} inputs in {:?}", started.elapsed());
    }
    assert!(missing.is_empty(), "targets without a corpus: {missing:?}");
}

#[test]
fn every_fuzz_target_file_is_listed() {
    // fuzz/fuzz_targets/<name>.rs and TARGETS must agree, or a target goes unreplayed.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("fuzz/fuzz_targets exists")
        .map(|e| e.expect("entry").path())
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}
