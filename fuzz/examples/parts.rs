//! Turns an archive into the `archive_parts` input form (a seed for that corpus):
//! `cargo run -p pgark-fuzz --example parts -- ARCHIVE OUT`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, archive, out] = &args[..] else {
        eprintln!("usage: parts ARCHIVE OUT");
        std::process::exit(2);
    };
    let parts = pgark_fuzz::parts_of(archive.as_ref()).unwrap_or_else(|| {
        eprintln!("{archive}: not a readable plain archive");
        std::process::exit(1);
    });
    std::fs::write(out, parts).expect("writing the seed");
}
