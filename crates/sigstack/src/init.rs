//! `sigstack init`: makes a data directory ready for `serve`.
//!
//! A log's key and tree ID are its identity: every checkpoint, SET and entry ID ever handed
//! out depends on them, and the CA root and CT key are what every client pins. So `init`
//! only ever *adds* what is missing. An existing key is reused (and its public half checked
//! against it), an existing configuration is kept (sections it lacks, such as `[ca]` in a
//! directory made before the CA existed, are appended), and running `init` twice is harmless.

use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use ring::rand::{SecureRandom as _, SystemRandom};

use crate::cli::InitArgs;
use crate::config::{
    absolute_data_dir, check_hostname, CaSection, Config, CtSection, DevOidcSection, CONFIG_FILE,
};
use crate::keys::{self, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE};
use crate::material;
use crate::trust;
use crate::up::TRUST_DIR;

/// Runs `init`, printing one line per thing made or kept and then the next commands.
pub fn run(args: &InitArgs) -> Result<()> {
    let dir = &args.data_dir;
    create_data_dir(dir)?;
    ensure_log_key(dir)?;
    let config = ensure_config(args)?;

    let ca_section = config.ca_section(dir)?;
    let (_, made) = material::ca::ensure(
        dir,
        ca_section,
        &config.log.hostname,
        material::ca::password_from_env()?.as_deref(),
    )?;
    for (path, how, what) in made {
        material::report(how, &path, what);
    }
    for (path, how, what) in material::ct::ensure(dir, config.ct_section(dir)?)? {
        material::report(how, &path, what);
    }
    let organization = ca_section.organization.as_deref().unwrap_or("sigstack");
    let tsa_name = format!("{}-tsa", config.log.hostname);
    for (path, how, what) in material::tsa::ensure(dir, organization, &tsa_name)? {
        material::report(how, &path, what);
    }
    if let Some(dev) = &config.dev_oidc {
        for (path, how, what) in material::dev_oidc::ensure(dir, dev)? {
            material::report(how, &path, what);
        }
    }

    // The trust material is public and derived from the keys above, so unlike them it is
    // (re)written every time; `up` rewrites it again for the address it actually listens on.
    let abs = absolute_data_dir(dir)?;
    let base = config.local_base_url()?;
    let out = abs.join(TRUST_DIR);
    trust::write(&abs, &config, &base, &out)?;
    println!(
        "wrote   {} (what clients need to trust {base})",
        out.display()
    );
    // The TUF repository publishes the same documents, signed; it is created once (its
    // keys are an identity too) and re-signed by `serve`.
    crate::tuf::ensure(
        &abs,
        &config,
        crate::tuf::DEFAULT_ROOT_KEYS,
        crate::tuf::DEFAULT_ROOT_THRESHOLD,
    )?;

    let ct = config.ct_section(dir)?;
    println!(
        "log `{}`, tree ID {} (entry ID prefix {:016x}); CT log tree ID {}",
        config.log.hostname, config.log.tree_id, config.log.tree_id, ct.tree_id
    );
    let dev = if config.dev_oidc.is_some() {
        " --dev-oidc"
    } else {
        ""
    };
    println!("next:   sigstack serve --data-dir {}{dev}", dir.display());
    println!(
        "then:   give clients {}/cosign.env (or run `sigstack trust-root --url` for the \
         address they will use)",
        out.display()
    );
    if ca_section.config.is_none() && config.dev_oidc.is_none() {
        println!(
            "note:   the CA has no OIDC issuers yet: set `ca.config` in {} to a Fulcio-format \
             issuer file (or use `--dev-oidc` for a development issuer)",
            dir.join(CONFIG_FILE).display()
        );
    }
    Ok(())
}

/// The transparency log's key pair (the log's identity): created once, then only checked.
fn ensure_log_key(dir: &Path) -> Result<()> {
    let key_path = dir.join(PRIVATE_KEY_FILE);
    let signer = if key_path.exists() {
        let signer = keys::load_signer(dir)?;
        println!("kept    {} (existing log key, reused)", key_path.display());
        signer
    } else {
        let pem = keys::generate_private_pem()?;
        keys::create_new(&key_path, &pem, 0o600)?;
        println!(
            "created {} (ECDSA P-256 log key, mode 0600)",
            key_path.display()
        );
        keys::parse_signer(&pem)?
    };

    let public_path = dir.join(PUBLIC_KEY_FILE);
    let public = keys::public_pem(&signer);
    match fs::read_to_string(&public_path) {
        Ok(existing) => {
            if keys::pem_decode(&existing, "PUBLIC KEY").ok()
                != keys::pem_decode(&public, "PUBLIC KEY").ok()
            {
                bail!(
                    "{} does not match the log key {}: move the wrong one away and run init again",
                    public_path.display(),
                    key_path.display()
                );
            }
            println!("kept    {}", public_path.display());
        }
        Err(e) if e.kind() == ErrorKind::NotFound => {
            keys::create_new(&public_path, &public, 0o644)?;
            println!("created {} (give this to clients)", public_path.display());
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", public_path.display())),
    }
    Ok(())
}

/// Writes a new `sigstack.toml`, or completes an existing one by appending the sections it
/// lacks (its own text is never rewritten: operators' comments and edits survive).
fn ensure_config(args: &InitArgs) -> Result<Config> {
    let dir = &args.data_dir;
    let config_path = dir.join(CONFIG_FILE);
    if !config_path.exists() {
        let hostname = match &args.hostname {
            Some(name) => {
                check_hostname(name).map_err(|why| anyhow::anyhow!("--hostname: {why}"))?;
                name.clone()
            }
            None => machine_hostname(),
        };
        let mut config = Config::new(hostname, random_tree_id()?);
        if let Some(listen) = args.listen {
            config.server.listen = listen.to_string();
        }
        config.ca = Some(CaSection::new("sigstack"));
        config.ct = Some(CtSection::new(distinct_tree_id(config.log.tree_id)?));
        if args.dev_oidc {
            config.dev_oidc = Some(DevOidcSection::new(&config.local_base_url()?));
        }
        keys::create_new(&config_path, &config.to_toml(), 0o644)?;
        println!("created {}", config_path.display());
        return Config::load(dir);
    }

    let config = Config::load(dir)?;
    if let Some(wanted) = &args.hostname {
        if *wanted != config.log.hostname {
            bail!(
                "{}: key `log.hostname` is already `{}`; refusing to rename an existing log \
                 to `{wanted}` (edit the file if the log has no entries yet)",
                config_path.display(),
                config.log.hostname
            );
        }
    }
    if let Some(listen) = args.listen {
        if listen.to_string() != config.server.listen {
            println!(
                "note:   {} keeps `server.listen = \"{}\"`; --listen {listen} applies to this \
                 run only",
                config_path.display(),
                config.server.listen
            );
        }
    }
    let mut added = String::new();
    let mut names = Vec::new();
    if config.ca.is_none() {
        added.push_str(&CaSection::new("sigstack").to_toml());
        names.push("[ca]");
    }
    if config.ct.is_none() {
        added.push_str(&CtSection::new(distinct_tree_id(config.log.tree_id)?).to_toml());
        names.push("[ct]");
    }
    if args.dev_oidc && config.dev_oidc.is_none() {
        added.push_str(&DevOidcSection::new(&config.local_base_url()?).to_toml());
        names.push("[dev_oidc]");
    }
    if added.is_empty() {
        println!("kept    {}", config_path.display());
        return Ok(config);
    }
    append(&config_path, &added)?;
    println!(
        "added   {} to {} (existing keys kept)",
        names.join(", "),
        config_path.display()
    );
    Config::load(dir)
}

/// Appends `text` to the file, after a newline if the file does not end with one.
fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let existing = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} to add to it", path.display()))?;
    let separator = if existing.ends_with(b"\n") { "" } else { "\n" };
    file.write_all(format!("{separator}{text}").as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A random tree ID other than `taken` (the CT log and the Rekor log must never share a tree).
fn distinct_tree_id(taken: i64) -> Result<i64> {
    loop {
        let id = random_tree_id()?;
        if id != taken {
            return Ok(id);
        }
    }
}

/// Creates the directory (owner-only on Unix: it holds the private key) unless it exists.
fn create_data_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    println!("created {}", dir.display());
    Ok(())
}

/// A random positive 63-bit tree ID, as Trillian allocates them: distinct logs get distinct
/// entry-ID prefixes, so an entry ID can never be mistaken for another log's.
fn random_tree_id() -> Result<i64> {
    let rng = SystemRandom::new();
    loop {
        let mut bytes = [0u8; 8];
        rng.fill(&mut bytes)
            .map_err(|_| anyhow::anyhow!("the system random number generator failed"))?;
        let id = i64::from_be_bytes(bytes) & i64::MAX;
        if id > 0 {
            return Ok(id);
        }
    }
}

/// This machine's hostname (Rekor's default log name), or `sigstack` when it has none that
/// can name a signer.
fn machine_hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .find(|name| check_hostname(name).is_ok())
        .unwrap_or_else(|| "sigstack".to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "sigstack-init-{name}-{}-{}",
            std::process::id(),
            random_tree_id().unwrap()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn tree_ids_are_positive() {
        for _ in 0..100 {
            assert!(random_tree_id().unwrap() > 0);
        }
    }

    #[test]
    fn init_twice_keeps_key_and_tree_id() {
        let dir = temp_dir("twice").join("data");
        let args = InitArgs {
            data_dir: dir.clone(),
            hostname: Some("log.test".into()),
            listen: None,
            dev_oidc: false,
        };
        run(&args).unwrap();
        let key = fs::read(dir.join(PRIVATE_KEY_FILE)).unwrap();
        let config = fs::read(dir.join(CONFIG_FILE)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(dir.join(PRIVATE_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        run(&args).unwrap();
        assert_eq!(fs::read(dir.join(PRIVATE_KEY_FILE)).unwrap(), key);
        assert_eq!(fs::read(dir.join(CONFIG_FILE)).unwrap(), config);
        assert!(Config::load(&dir).is_ok());
        assert!(keys::load_verifier(&dir).is_ok());

        // A lost public key is re-derived; a renamed log is refused.
        fs::remove_file(dir.join(PUBLIC_KEY_FILE)).unwrap();
        run(&args).unwrap();
        assert!(keys::load_verifier(&dir).is_ok());
        let rename = InitArgs {
            data_dir: dir.clone(),
            hostname: Some("other".into()),
            listen: None,
            dev_oidc: false,
        };
        assert!(run(&rename).is_err());
        fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn mismatched_public_key_is_an_error() {
        let dir = temp_dir("mismatch");
        let args = InitArgs {
            data_dir: dir.clone(),
            hostname: Some("h".into()),
            listen: None,
            dev_oidc: false,
        };
        run(&args).unwrap();
        let other = keys::parse_signer(&keys::generate_private_pem().unwrap()).unwrap();
        fs::write(dir.join(PUBLIC_KEY_FILE), keys::public_pem(&other)).unwrap();
        assert!(run(&args).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
