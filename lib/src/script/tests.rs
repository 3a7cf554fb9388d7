//! Rendered scripts pass shellcheck, and their values survive the shell.

use super::*;

fn request(command: Option<&str>) -> Request {
    Request {
        id: "r-1795890146-fe8214ee".into(),
        name: "train $(rm -rf ~) 'x'".into(),
        gpus: 8,
        gpu_type: Some("a6000".into()),
        vram_gb: None,
        time: 86_400,
        nodes: None,
        cpus: Some(8),
        mem_mb: Some(65_536),
        partitions: vec![],
        account: Some("rvlab".into()),
        constraint: None,
        exclude: vec![],
        command: command.map(str::to_owned),
        ray: false,
    }
}

fn strategy(nodes: u32, segments: u32) -> Strategy {
    Strategy {
        request: "r-1795890146-fe8214ee".into(),
        id: "s2".into(),
        partitions: vec!["gpu-a100-80".into(), "gpu".into()],
        gpu_type: Some("a100-80".into()),
        gres: Some("a100".into()),
        nodes,
        gpus_per_node: 8 / nodes,
        cpus: Some(8),
        mem_mb: Some(65_536),
        time: 10_200,
        time_min: None,
        segments,
        constraint: Some("gpupod&a100_80gb".into()),
        account: Some("rvlab".into()),
        exclude: vec!["a100-80g-01".into(), "a100-80g-02".into()],
        predicted_start: None,
        service_units: 1.0,
        why: String::new(),
    }
}

fn paths() -> Paths {
    Paths {
        scratch: "/scratch/rvtest".into(),
    }
}

fn shellcheck(script: &str) {
    let dir = std::env::temp_dir().join(format!("rv-script-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "{:x}.sh",
        script.len() * 31 + script.lines().count()
    ));
    std::fs::write(&file, script).unwrap();
    let out = std::process::Command::new("shellcheck")
        .arg("--severity=style")
        .arg(&file)
        .output()
        .expect("shellcheck is installed (scripts/install-deps)");
    assert!(
        out.status.success(),
        "shellcheck:\n{}\n{script}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn every_template_passes_shellcheck() {
    let p = paths();
    let modules = vec![
        "cuda/12.8.0".to_owned(),
        "miniforge/24.11.3-py3.12".to_owned(),
    ];
    for (command, nodes, segments, ray) in [
        (None, 1, 1, false),
        (None, 2, 1, true),
        (Some("python tune.py"), 2, 9, true),
        (Some("python train.py --lr 3e-4"), 1, 1, false),
        (Some("torchrun --nproc-per-node=4 train.py"), 2, 1, false),
        (Some("python train.py"), 1, 9, false),
        (Some("torchrun train.py"), 2, 9, false),
    ] {
        let mut r = request(command);
        r.ray = ray;
        let s = strategy(nodes, segments);
        let script = render(&Job {
            request: &r,
            strategy: &s,
            paths: &p,
            modules: &modules,
            workdir: Some("/scratch/rvtest/code dir"),
            lease: Some(600),
        });
        shellcheck(&script);
    }
}

#[test]
fn directives_are_slurm_syntax_and_names_are_clean() {
    let r = request(None);
    let s = strategy(2, 1);
    let script = render(&Job {
        request: &r,
        strategy: &s,
        paths: &paths(),
        modules: &[],
        workdir: None,
        lease: None,
    });
    for want in [
        "#SBATCH --job-name=train---rm--rf-----x--fe8214ee-s2\n",
        "#SBATCH --partition=gpu-a100-80,gpu\n",
        "#SBATCH --nodes=2\n",
        "#SBATCH --gres=gpu:a100:4\n",
        "#SBATCH --time=2:50:00\n",
        "#SBATCH --constraint=gpupod&a100_80gb\n",
        "#SBATCH --exclude=a100-80g-[01-02]\n",
        "#SBATCH --mem=65536M\n",
        "#SBATCH --output=/scratch/rvtest/.rv/logs/%x-%j.out\n",
        "sleep infinity &\nrv_wait $!\n",
        "#SBATCH --signal=B:USR2@300\n",
    ] {
        assert!(script.contains(want), "missing {want:?} in\n{script}");
    }
    assert!(
        !script.contains("$(rm"),
        "the name never reaches the shell unquoted:\n{script}"
    );
}

#[test]
fn a_holder_has_its_lease_and_batch_work_none() {
    let s = strategy(1, 1);
    let render_with = |command: Option<&str>, lease: Option<u64>| {
        render(&Job {
            request: &request(command),
            strategy: &s,
            paths: &paths(),
            modules: &[],
            workdir: None,
            lease,
        })
    };
    let holder = render_with(None, Some(90));
    assert!(holder.contains("export RV_LEASE_SECONDS=90\n"), "{holder}");
    assert!(
        holder.contains("export RV_LEASE_CHECK_SECONDS=15\n"),
        "{holder}"
    );
    assert!(holder.contains("rv_notify LEASE_EXPIRED"), "{holder}");
    let kept = render_with(None, None);
    assert!(kept.contains("export RV_LEASE_SECONDS=0\n"), "{kept}");
    // A batch job runs its command to the end: no lease, whatever was asked.
    let batch = render_with(Some("python train.py"), Some(90));
    assert!(batch.contains("export RV_LEASE_SECONDS=0\n"), "{batch}");
    assert!(!batch.contains("LEASE_EXPIRED"), "{batch}");
}

#[test]
fn multi_node_runs_one_task_per_node_with_its_own_rank() {
    let cmd = multi_node("torchrun --nproc-per-node=4 train.py");
    assert!(
        cmd.starts_with("srun --ntasks-per-node=1 --kill-on-bad-exit=1 --label bash -c '"),
        "{cmd}"
    );
    assert!(
        cmd.contains(r#"RANK="$SLURM_PROCID""#),
        "expanded per task: {cmd}"
    );
    assert!(cmd.contains(r#"torchrun --nnodes="$SLURM_NNODES" --node-rank="$SLURM_NODEID" --master-addr="$MASTER_ADDR""#));
}

#[test]
fn ray_runs_the_command_once_on_the_head() {
    let mut r = request(Some("python tune.py"));
    r.ray = true;
    let s = strategy(2, 1);
    let script = render(&Job {
        request: &r,
        strategy: &s,
        paths: &paths(),
        modules: &[],
        workdir: None,
        lease: None,
    });
    assert!(script.contains("ray start --head"), "{script}");
    assert!(script.contains("export RAY_ADDRESS="));
    assert!(
        script.contains("{ python tune.py\n} &"),
        "not wrapped per node:\n{script}"
    );
}

#[test]
fn env_file_values_survive_exactly() {
    let nasty = "a$HOME \"dq\" 'sq' `tick` \\ back\nline2 $(echo pwned)";
    let text = env_file(&[
        ("SECRET".into(), nasty.into()),
        ("EMPTY".into(), String::new()),
    ])
    .unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -a; {text}\nprintf '%s|%s' \"$SECRET\" \"$EMPTY\""
        ))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{nasty}|"));
    assert!(env_file(&[("1BAD".into(), "x".into())]).is_err());
    assert!(env_file(&[("A-B".into(), "x".into())]).is_err());
}

/// Runs [`scratch_command`] with `sh` here, with `SCRATCH` and `HOME` as given.
fn discovered(configured: Option<&str>, scratch: Option<&str>, home: &str) -> Option<Scratch> {
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c")
        .arg(scratch_command(configured))
        .env("HOME", home)
        .env_remove("SCRATCH");
    if let Some(s) = scratch {
        sh.env("SCRATCH", s);
    }
    parse_scratch(&String::from_utf8(sh.output().unwrap().stdout).unwrap())
}

#[test]
fn scratch_is_the_config_then_dollar_scratch_then_site_scratch_then_home() {
    let dir = std::env::temp_dir().join(format!("rv-scratch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let odd = format!("{d}/it's a |dir");
    std::fs::create_dir_all(&odd).unwrap();
    let got = discovered(Some(&odd), Some(d), d).unwrap();
    assert_eq!(
        (got.dir.as_str(), got.from, got.usable),
        (odd.as_str(), ScratchSource::Config, true)
    );
    let missing = discovered(Some("/nonexistent/rv"), None, d).unwrap();
    assert_eq!(
        (missing.from, missing.usable),
        (ScratchSource::Config, false)
    );
    assert!(scratch_problem(&missing).contains("`paths.scratch`: /nonexistent/rv is not"));
    let env = discovered(None, Some(d), "/").unwrap();
    assert_eq!((env.dir.as_str(), env.from), (d, ScratchSource::Env));
    // /scratch/<user> is taken when it exists; this machine's user has none, so: home.
    let user = String::from_utf8(
        std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    if !std::path::Path::new(&format!("/scratch/{}", user.trim())).exists() {
        let home = discovered(None, None, d).unwrap();
        assert_eq!(
            (home.dir.as_str(), home.from, home.usable),
            (d, ScratchSource::Home, true)
        );
    }
    assert_eq!(parse_scratch("garbage"), None);
    assert_eq!(parse_scratch("yes|config|relative"), None);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_direct_batch_and_the_lease_listing_pass_shellcheck() {
    let jobs = crate::lease::with_jobs("squeue -h -u \"$USER\" -o '%i|%o|%j|'", 2);
    shellcheck(&format!("#!/bin/sh\n{jobs}\n"));
    let batch = crate::remote::batch::Batch::direct(jobs);
    shellcheck(&format!("#!/bin/sh\n{}", batch.script("rv-0123")));
}
