use super::*;

// The CLI runs as a blocking child process: the cloud has a runtime of its own meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_copies_lists_and_uploads_in_parts() {
    let cloud = cloud().await;
    let Some(_) = cloud.aws_json(&["s3api", "create-bucket", "--bucket", "cli"]) else { return };
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.txt");
    std::fs::write(&small, b"from the cli").unwrap();
    let put = cloud
        .aws_json(&[
            "s3api",
            "put-object",
            "--bucket",
            "cli",
            "--key",
            "dir/small.txt",
            "--body",
            small.to_str().unwrap(),
        ])
        .unwrap();
    assert_eq!(
        put["ETag"],
        format!("\"{}\"", {
            use md5::Digest;
            hex::encode(md5::Md5::digest(b"from the cli"))
        })
    );
    // 20 MB: `aws s3 cp` uploads it in 8 MiB parts.
    let big = dir.path().join("big.bin");
    let data: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&big, &data).unwrap();
    let out = cloud.aws(&["s3", "cp", big.to_str().unwrap(), "s3://cli/big.bin"]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let head = cloud.aws_json(&["s3api", "head-object", "--bucket", "cli", "--key", "big.bin"]).unwrap();
    assert_eq!(head["ContentLength"], 20_000_000);
    assert!(head["ETag"].as_str().unwrap().ends_with("-3\""), "{head}");
    let back = dir.path().join("back.bin");
    let out = cloud.aws(&["s3", "cp", "s3://cli/big.bin", back.to_str().unwrap()]).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read(&back).unwrap() == data, "the object reads back byte for byte");
    let ls = cloud.aws(&["s3", "ls", "s3://cli/"]).unwrap();
    let listing = String::from_utf8_lossy(&ls.stdout);
    assert!(listing.contains("PRE dir/") && listing.contains("big.bin"), "{listing}");
    let err = cloud
        .aws(&["s3api", "get-object", "--bucket", "cli", "--key", "none", dir.path().join("x").to_str().unwrap()])
        .unwrap();
    assert!(String::from_utf8_lossy(&err.stderr).contains("NoSuchKey"), "{}", String::from_utf8_lossy(&err.stderr));
}
