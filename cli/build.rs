//! Embeds the differential case corpus (`compat-tests/cases/*.toml`) into the `ferry` binary, so an
//! installed `ferry compat run` replays it from anywhere. Writes `$OUT_DIR/corpus.rs`: a sorted list of
//! (file name, contents) pairs built from `include_bytes!`.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let cases_dir = manifest_dir.join("../compat-tests/cases");
    // A directory here makes Cargo rerun the script when any file below it changes.
    println!("cargo:rerun-if-changed={}", cases_dir.display());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&cases_dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
    files.sort();
    let mut out = String::from("&[\n");
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or("case file without a name")?;
        let absolute = std::fs::canonicalize(path)?;
        writeln!(
            out,
            "    ({name:?}, include_bytes!({:?})),",
            absolute.display().to_string()
        )?;
    }
    out.push(']');
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("corpus.rs"), out)?;
    Ok(())
}
