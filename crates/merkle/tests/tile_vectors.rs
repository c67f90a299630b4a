//! C2SP tlog-tiles path vectors (Tessera's layout cases and the spec's 70000-leaf example).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::Path;

use serde_json::Value;
use sigstack_merkle::{entries_path_for_index, TileId};

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/tiles")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn width(p: &Value) -> u16 {
    match p.as_u64().unwrap() {
        0 => 256,
        w => w as u16,
    }
}

#[test]
fn tile_and_entry_paths() {
    let v = load("tessera-layout-paths.json");
    for case in v["tile_path"].as_array().unwrap() {
        let id = TileId::new(
            case["level"].as_u64().unwrap() as u8,
            case["index"].as_u64().unwrap(),
            width(&case["p"]),
        )
        .unwrap();
        assert_eq!(id.path(), case["want"].as_str().unwrap());
        assert_eq!(TileId::parse_path(&id.path()).unwrap(), id);
    }
    for case in v["entries_path"].as_array().unwrap() {
        let id = TileId::new(0, case["index"].as_u64().unwrap(), width(&case["p"])).unwrap();
        assert_eq!(id.entries_path(), case["want"].as_str().unwrap());
    }
    for case in v["entries_path_for_log_index"].as_array().unwrap() {
        let got = entries_path_for_index(
            case["seq"].as_u64().unwrap(),
            case["log_size"].as_u64().unwrap(),
        );
        assert_eq!(got.as_deref(), case["want"].as_str(), "{case}");
    }
    assert_eq!(entries_path_for_index(5, 5), None);
}

#[test]
fn level_index_parsing_accepts_and_rejects() {
    let v = load("tessera-layout-paths.json");
    let cases = v["parse_level_index"].as_array().unwrap();
    let mut rejected = 0;
    for case in cases {
        let got = TileId::parse_level_index(
            case["level"].as_str().unwrap(),
            case["index"].as_str().unwrap(),
        );
        if case["want_err"].as_bool().unwrap_or(false) {
            assert!(got.is_err(), "must reject {case}");
            rejected += 1;
        } else {
            let id = got.unwrap();
            assert_eq!(u64::from(id.level), case["want_level"].as_u64().unwrap());
            assert_eq!(id.index, case["want_index"].as_u64().unwrap());
            assert_eq!(id.width, width(&case["want_p"]));
        }
    }
    assert!(rejected >= 10);
    for bad in [
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/00",
        "tile/x/000",
        "tiles/0/000",
        "tile/0/000.p/01x",
    ] {
        assert!(TileId::parse_path(bad).is_err(), "{bad}");
    }
}

#[test]
fn spec_example_tree_of_70000() {
    let v = load("c2sp-tree-70000.json");
    let big = &v["tree_size_70000"];
    let partial: Vec<String> = TileId::partial_tiles(70000)
        .iter()
        .map(TileId::path)
        .collect();
    let want: Vec<&str> = ["level0", "level1", "level2"]
        .iter()
        .map(|l| big[*l]["partial_path"].as_str().unwrap())
        .collect();
    assert_eq!(partial, want);
    for (level, key) in ["level0", "level1", "level2"].iter().enumerate() {
        let full = big[*key]["full_tiles"].as_u64().unwrap();
        for index in 0..full {
            assert!(TileId::in_tree(level as u8, index, 70000)
                .unwrap()
                .is_full());
        }
        assert_eq!(
            TileId::in_tree(level as u8, full, 70000).map(|t| u64::from(t.width)),
            big[*key]["partial_width"].as_u64()
        );
    }
    assert_eq!(
        entries_path_for_index(69_999, 70000).as_deref(),
        big["entry_bundles"]["partial_path"].as_str()
    );
    let small: Vec<String> = TileId::partial_tiles(256)
        .iter()
        .map(TileId::path)
        .collect();
    assert_eq!(
        small,
        [v["tree_size_256"]["level1"]["partial_path"]
            .as_str()
            .unwrap()]
    );
}
