//! An export (or backup) file written all at once or not at all. The bytes go to a temporary
//! file in the target's folder, readable by its owner only (the corpus holds names and emails),
//! which is made durable and then renamed over the target. A failed or interrupted export
//! leaves the previous file, if any, as it was.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// An export file being written; [`Staged::commit`] puts it in place. Dropped without a
/// commit, it is deleted.
pub struct Staged {
    out: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl Staged {
    /// Starts a file that will replace `path`.
    pub fn new(path: &Path) -> anyhow::Result<Self> {
        Self::named(path, ".stafet-export-")
    }

    /// Starts a file that will replace `path`, its temporary name beginning with `prefix` (so
    /// one left by a crash says what it was).
    pub fn named(path: &Path, prefix: &str) -> anyhow::Result<Self> {
        let dir = folder(path);
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix).suffix(".tmp");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        let tmp = builder
            .tempfile_in(dir)
            .with_context(|| format!("creating a file in {}", dir.display()))?;
        Ok(Self {
            out: BufWriter::with_capacity(1 << 16, tmp),
            path: path.to_path_buf(),
        })
    }

    /// The temporary file's path, for a writer that opens it itself (SQLite's `VACUUM INTO`).
    /// Nothing must be written through this handle as well.
    pub fn temp_path(&self) -> &Path {
        self.out.get_ref().path()
    }

    /// Makes the file durable and renames it over the target, then makes the rename durable.
    pub fn commit(self) -> anyhow::Result<()> {
        let tmp = self
            .out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {}", self.path.display()))?;
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("syncing {}", self.path.display()))?;
        tmp.persist(&self.path)
            .map_err(|e| e.error)
            .with_context(|| format!("moving the file into place at {}", self.path.display()))?;
        std::fs::File::open(folder(&self.path))
            .and_then(|d| d.sync_all())
            .with_context(|| format!("syncing the folder of {}", self.path.display()))?;
        Ok(())
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
