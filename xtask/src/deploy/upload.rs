//! `[sam.upload]` of `pattern.toml`: a folder of the pattern (a web app's files) put into a bucket the stack
//! created, after the stack and before the outputs are printed, for the SAM and CDK flavours on either target (a
//! CloudFormation template cannot hold objects; Terraform patterns declare them as `aws_s3_object` resources).
//! As `aws s3 sync <dir> s3://<bucket>` does for a user: each file under its relative path, with the content type
//! a browser needs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use aws_sdk_s3::primitives::ByteStream;

use super::{
    Deployment, Outputs,
    sam::aws::{Aws, sdk_error},
};
use crate::verify::placeholders;

/// Uploads the pattern's `[sam.upload]` folder, if it has one; returns how many files.
pub fn run(dep: &Deployment<'_>, endpoint: Option<&str>, outputs: &Outputs) -> Result<usize> {
    let Some(upload) = &dep.pattern.manifest.sam.upload else {
        return Ok(0);
    };
    let bucket = placeholders::expand(&upload.bucket, outputs)
        .context("`[sam.upload] bucket` of pattern.toml names an output the stack does not have")?;
    let dir = dep.pattern.dir.join(&upload.dir);
    let files = files(&dir)?;
    if files.is_empty() {
        bail!(
            "`[sam.upload] dir = \"{}\"` of pattern.toml: no file in {}",
            upload.dir,
            dir.display()
        );
    }
    let aws = Aws::connect(endpoint)?;
    for file in &files {
        let key = key(&dir, file)?;
        let body = aws
            .block_on(ByteStream::from_path(file))
            .with_context(|| format!("reading {}", file.display()))?;
        aws.block_on(
            aws.s3
                .put_object()
                .bucket(&bucket)
                .key(&key)
                .content_type(content_type(&key))
                .body(body)
                .send(),
        )
        .map_err(sdk_error)
        .with_context(|| format!("uploading {} to s3://{bucket}/{key}", file.display()))?;
    }
    tracing::info!(bucket, files = files.len(), dir = %dir.display(), "uploaded [sam.upload]");
    Ok(files.len())
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The object key of `file`: its path under `dir`, with `/` separators.
fn key(dir: &Path, file: &Path) -> Result<String> {
    let relative = file
        .strip_prefix(dir)
        .with_context(|| format!("{} is not under {}", file.display(), dir.display()))?;
    Ok(relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}

/// The `Content-Type` S3 serves the object with (what a browser needs to run a script or apply a style sheet).
pub fn content_type(key: &str) -> &'static str {
    match key
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_relative_paths_and_types_follow_the_extension() {
        let dir = Path::new("/p/site");
        assert_eq!(
            key(dir, Path::new("/p/site/index.html")).unwrap(),
            "index.html"
        );
        assert_eq!(
            key(dir, Path::new("/p/site/assets/app.js")).unwrap(),
            "assets/app.js"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/APP.JS"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("app.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }

    #[test]
    fn files_are_found_in_subfolders_in_order() {
        let dir = std::env::temp_dir().join(format!("srp-upload-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "x").unwrap();
        std::fs::write(dir.join("assets/app.js"), "x").unwrap();
        let found: Vec<String> = files(&dir)
            .unwrap()
            .iter()
            .map(|f| key(&dir, f).unwrap())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, ["assets/app.js", "index.html"]);
    }
}
