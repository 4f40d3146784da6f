//! Deployment packages: fetched from moto (through our launcher's `/_local/lambda/functions/{name}/code`), checked
//! against CodeSha256 and unpacked once per hash into `{state_dir}/lambda/code/<sha256 hex>/`.

use std::{
    collections::HashMap,
    io::Cursor,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
};

use anyhow::{Context, bail};
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use sha2::{Digest, Sha256};

/// Unpacked code, shared by every function whose package has the same hash.
pub struct CodeStore {
    root: PathBuf,
    moto_url: String,
    http: Client<HttpConnector, Empty<Bytes>>,
    /// One unpack at a time per hash.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl CodeStore {
    /// Code goes under `{state_dir}/lambda/code`; packages are fetched from moto at `moto_url`.
    pub fn new(state_dir: &Path, moto_url: String) -> CodeStore {
        CodeStore {
            root: state_dir.join("lambda").join("code"),
            moto_url,
            http: Client::builder(TokioExecutor::new()).build_http(),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The directory holding the unpacked package of `function` (whose CodeSha256 is `code_sha256`),
    /// fetching and unpacking it the first time.
    pub async fn ensure(
        &self,
        function: &str,
        qualifier: Option<&str>,
        code_sha256: &str,
    ) -> anyhow::Result<PathBuf> {
        let hex = sha_hex(code_sha256).with_context(|| format!("function {function}"))?;
        let dir = self.root.join(&hex);
        if dir.is_dir() {
            return Ok(dir);
        }
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.entry(hex.clone()).or_default().clone()
        };
        let _guard = lock.lock().await;
        if dir.is_dir() {
            return Ok(dir);
        }
        let zip = self.fetch(function, qualifier).await?;
        let root = self.root.clone();
        let expected = code_sha256.to_owned();
        let function = function.to_owned();
        tokio::task::spawn_blocking(move || unpack(&zip, &expected, &root))
            .await
            .context("unpack task failed")?
            .with_context(|| format!("unpacking the code of function {function}"))
    }

    async fn fetch(&self, function: &str, qualifier: Option<&str>) -> anyhow::Result<Bytes> {
        let mut url = format!("{}/_local/lambda/functions/{function}/code", self.moto_url);
        if let Some(q) = qualifier.filter(|q| *q != "$LATEST") {
            url.push_str(&format!("?qualifier={q}"));
        }
        let uri: http::Uri = url.parse().with_context(|| format!("bad code URL {url}"))?;
        let response = self.http.get(uri).await.with_context(|| {
            format!("GET {url} (is moto running through local-cloud's launcher, local_moto?)")
        })?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("reading {url}"))?
            .to_bytes();
        if !status.is_success() {
            bail!(
                "GET {url} returned {status}: {} (the moto launcher serves deployed code there; is moto running \
                 through local-cloud's launcher, local_moto?)",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            );
        }
        Ok(body)
    }
}

/// The hex form of a base64 CodeSha256 (the directory name).
pub fn sha_hex(code_sha256: &str) -> anyhow::Result<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(code_sha256)
        .with_context(|| format!("CodeSha256 {code_sha256:?} is not base64"))?;
    if raw.len() != 32 {
        bail!("CodeSha256 {code_sha256:?} is not a SHA-256 digest");
    }
    Ok(hex::encode(raw))
}

/// Checks `zip` against `code_sha256` (base64, as Lambda reports it) and unpacks it into `<root>/<hex>/`
/// atomically (into a temporary directory, then renamed). Returns the directory.
pub fn unpack(zip: &[u8], code_sha256: &str, root: &Path) -> anyhow::Result<PathBuf> {
    let hex = sha_hex(code_sha256)?;
    let actual = hex::encode(Sha256::digest(zip));
    if actual != hex {
        bail!(
            "the package served for this function has SHA-256 {actual}, but the function's CodeSha256 {code_sha256} is {hex}: \
             the code changed while it was fetched, or the launcher served another version"
        );
    }
    let dir = root.join(&hex);
    if dir.is_dir() {
        return Ok(dir);
    }
    std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
    let temp = root.join(format!(".tmp-{hex}-{}", uuid::Uuid::new_v4().simple()));
    let result = extract(zip, &temp).and_then(|()| match std::fs::rename(&temp, &dir) {
        Ok(()) => Ok(()),
        // Another process unpacked the same hash first: theirs is as good as ours.
        Err(_) if dir.is_dir() => Ok(()),
        Err(e) => {
            Err(e).with_context(|| format!("renaming {} to {}", temp.display(), dir.display()))
        }
    });
    if temp.exists() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    result.map(|()| dir)
}

fn extract(zip: &[u8], into: &Path) -> anyhow::Result<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip))
        .context("the deployment package is not a valid zip")?;
    archive
        .extract(into)
        .with_context(|| format!("extracting the deployment package into {}", into.display()))?;
    let bootstrap = into.join("bootstrap");
    if bootstrap.is_file() {
        let mut permissions = std::fs::metadata(&bootstrap)?.permissions();
        permissions.set_mode(permissions.mode() | 0o755);
        std::fs::set_permissions(&bootstrap, permissions)
            .with_context(|| format!("making {} executable", bootstrap.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, data) in files {
            writer
                .start_file(
                    *name,
                    zip::write::SimpleFileOptions::default().unix_permissions(0o644),
                )
                .unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    fn sha_b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(data))
    }

    #[test]
    fn unpacks_once_per_hash_with_an_executable_bootstrap() {
        let root = std::env::temp_dir().join(format!("lc-code-{}", uuid::Uuid::new_v4().simple()));
        let zip = zip_of(&[("bootstrap", b"#!/bin/sh\n"), ("data/x.txt", b"x")]);
        let sha = sha_b64(&zip);
        let dir = unpack(&zip, &sha, &root).unwrap();
        assert_eq!(dir, root.join(sha_hex(&sha).unwrap()));
        let mode = std::fs::metadata(dir.join("bootstrap"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o111,
            0o111,
            "bootstrap must be executable, mode {mode:o}"
        );
        assert_eq!(std::fs::read(dir.join("data/x.txt")).unwrap(), b"x");
        // A second unpack of the same hash reuses the directory.
        std::fs::write(dir.join("marker"), b"").unwrap();
        assert_eq!(unpack(&zip, &sha, &root).unwrap(), dir);
        assert!(dir.join("marker").exists());
        let leftovers: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn refuses_a_package_whose_hash_differs() {
        let root = std::env::temp_dir().join(format!("lc-code-{}", uuid::Uuid::new_v4().simple()));
        let zip = zip_of(&[("bootstrap", b"a")]);
        let other = sha_b64(b"something else");
        let err = unpack(&zip, &other, &root).unwrap_err().to_string();
        assert!(err.contains("CodeSha256"), "{err}");
        assert!(!root.join(sha_hex(&other).unwrap()).exists());
    }
}
