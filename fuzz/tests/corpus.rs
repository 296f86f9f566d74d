//! The fuzz targets on stable, in every `cargo test`: each input kept in `fuzz/corpus/<target>/`
//! (seeds and whatever libFuzzer found worth keeping, crashes it found included once fixed) is
//! replayed, then random and mutated inputs are tried. A panic is a failure.

use std::path::Path;

use proptest::prelude::*;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("archive_bytes", pgark_fuzz::archive_bytes),
    ("archive_parts", pgark_fuzz::archive_parts),
    ("copy_stream", pgark_fuzz::copy_stream),
    ("config_toml", pgark_fuzz::config_toml),
    ("config_json", pgark_fuzz::config_json),
    ("connection_url", pgark_fuzz::connection_url),
];

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

#[test]
fn every_kept_input_runs_without_a_panic() {
    for (name, target) in TARGETS {
        let inputs = corpus(name);
        assert!(!inputs.is_empty(), "fuzz/corpus/{name} holds seeds");
        for input in &inputs {
            target(input);
        }
    }
}

/// Flips, cuts and splices of the kept inputs (what a fuzzer starts with), for each target.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    (0..n, any::<u64>(), 0usize..4, any::<u8>()).prop_map(move |(i, at, how, byte)| {
        let mut v = seeds[i].clone();
        if v.is_empty() {
            return vec![byte];
        }
        let p = (at % v.len() as u64) as usize;
        match how {
            0 => v[p] ^= byte | 1,
            1 => v.truncate(p),
            2 => v.insert(p, byte),
            _ => {
                let tail = v[p..].to_vec();
                v.extend_from_slice(&tail[..tail.len().min(64)]);
            }
        }
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for (_, target) in TARGETS {
            target(&data);
        }
    }

    #[test]
    fn mutated_archives_never_panic(data in mutated(corpus("archive_bytes"))) {
        pgark_fuzz::archive_bytes(&data);
    }

    #[test]
    fn mutated_archive_parts_never_panic(data in mutated(corpus("archive_parts"))) {
        pgark_fuzz::archive_parts(&data);
    }

    #[test]
    fn mutated_configs_never_panic(toml in mutated(corpus("config_toml")), json in mutated(corpus("config_json"))) {
        pgark_fuzz::config_toml(&toml);
        pgark_fuzz::config_json(&json);
    }
}
