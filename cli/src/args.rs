//! Argument groups several commands share: where the database is, which schemas and tables to
//! cover, and the keys of encrypted archives.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use pgark_engine::{Archive, ConnectOptions, Encryption, Filter, Keys, RestoreOptions, SecretString, Section, Target};

/// Where the database is.
#[derive(Args, Clone)]
pub struct ConnArgs {
    /// Connection URL (postgres://user@host:port/db?sslmode=verify-full&sslrootcert=ca.pem);
    /// PG* environment variables fill in what it leaves out.
    #[arg(long, env = "PGARK_DATABASE_URL", hide_env_values = true)]
    pub db: Option<String>,
    /// Supabase project ref (connects to db.REF.supabase.co; password from SUPABASE_DB_PASSWORD or PGPASSWORD).
    #[arg(long, conflicts_with = "db")]
    pub project_ref: Option<String>,
}

impl ConnArgs {
    /// The connection target these arguments (and the environment) name; a connection that
    /// crosses the network unencrypted or unverified is warned about on stderr.
    pub fn target(&self) -> Result<Target> {
        resolve(&ConnectOptions { url: self.db.clone(), project_ref: self.project_ref.clone() })
    }

    /// Takes `fallback` (the config's connection) when neither a URL nor a project ref is given.
    pub fn or(&mut self, fallback: Option<ConnectOptions>) {
        if let Some(f) = fallback.filter(|_| self.db.is_none() && self.project_ref.is_none()) {
            self.db = f.url;
            self.project_ref = f.project_ref;
        }
    }
}

/// Schema and table selection.
#[derive(Args, Clone, Default)]
pub struct FilterArgs {
    /// Only these schemas (repeatable; * and ? wildcards).
    #[arg(long = "schema", short = 'n', value_name = "PATTERN")]
    pub schemas: Vec<String>,
    /// Leave these schemas out.
    #[arg(long = "exclude-schema", short = 'N', value_name = "PATTERN")]
    pub exclude_schemas: Vec<String>,
    /// Only these tables (`name` or `schema.name`; repeatable; wildcards).
    #[arg(long = "table", short = 't', value_name = "PATTERN")]
    pub tables: Vec<String>,
    /// Leave these tables out.
    #[arg(long = "exclude-table", short = 'T', value_name = "PATTERN")]
    pub exclude_tables: Vec<String>,
}

impl From<FilterArgs> for Filter {
    fn from(f: FilterArgs) -> Filter {
        Filter {
            schemas: f.schemas,
            exclude_schemas: f.exclude_schemas,
            tables: f.tables,
            exclude_tables: f.exclude_tables,
        }
    }
}

/// What of an archive a restore (or an extract) covers: sections, schemas and tables, kinds,
/// owners and grants.
#[derive(Args, Clone, Default)]
pub struct SelectArgs {
    /// Only these sections (pre-data, data, post-data; repeatable).
    #[arg(long = "section", value_parser = parse_section)]
    pub sections: Vec<Section>,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub toggles: KindToggles,
    /// Leave ownership out: objects belong to the restoring user.
    #[arg(long)]
    pub no_owner: bool,
    /// Leave grants out.
    #[arg(long)]
    pub no_privileges: bool,
    /// With --table: also restore what the selected tables need (types, functions, schemas,
    /// extensions, sequences); into a database that exists, each only if missing. The default.
    #[arg(long, conflicts_with = "no_dependencies")]
    pub with_dependencies: bool,
    /// With --table: restore only the selected tables and what belongs to them (the target
    /// must have what they need).
    #[arg(long)]
    pub no_dependencies: bool,
}

impl SelectArgs {
    /// Restore options with this selection (the rest default).
    pub fn options(self) -> RestoreOptions {
        let mut exclude_kinds = Vec::new();
        self.toggles.add_to(&mut exclude_kinds);
        RestoreOptions {
            sections: self.sections,
            filter: self.filter.into(),
            exclude_kinds,
            no_owner: self.no_owner,
            no_privileges: self.no_privileges,
            dependencies: match (self.with_dependencies, self.no_dependencies) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            ..RestoreOptions::default()
        }
    }
}

fn parse_section(s: &str) -> Result<Section, String> {
    match s {
        "pre-data" => Ok(Section::PreData),
        "data" => Ok(Section::Data),
        "post-data" => Ok(Section::PostData),
        _ => Err(format!("unknown section '{s}' (use pre-data, data or post-data)")),
    }
}

/// Resolves a connection target, warning on stderr when it crosses the network unencrypted or
/// without checking the server's certificate.
pub fn resolve(options: &ConnectOptions) -> Result<Target> {
    let target = Target::resolve(options)?;
    if let Some(warning) = target.tls_warning() {
        eprintln!("warning: {warning}");
    }
    Ok(target)
}

/// What opens encrypted archives: `--identity FILE` (repeatable) and a passphrase.
#[derive(Args, Clone, Default)]
pub struct KeyArgs {
    /// An age identity file (AGE-SECRET-KEY-1… lines) or an unencrypted SSH private key that
    /// opens encrypted archives (repeatable).
    #[arg(long = "identity", short = 'i', value_name = "FILE")]
    pub identities: Vec<PathBuf>,
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
}

/// A passphrase for age encryption, never from the command line itself.
#[derive(Args, Clone, Default)]
pub struct PassphraseArgs {
    /// The archive's passphrase (age), from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "passphrase_file")]
    pub passphrase_env: Option<String>,
    /// The archive's passphrase (age), from this file (its first line).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

impl PassphraseArgs {
    /// The passphrase given, if any; refuses an empty one or an unset variable.
    pub fn get(&self) -> Result<Option<SecretString>> {
        crate::config::read_passphrase(self.passphrase_env.as_deref(), self.passphrase_file.as_deref())
    }
}

impl KeyArgs {
    /// Whether no key was given on the command line.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
            && self.passphrase.passphrase_env.is_none()
            && self.passphrase.passphrase_file.is_none()
    }

    /// These keys, or when none was given those of `[encryption]` in the config (`identity_file`,
    /// or the passphrase), so scheduled verify and drill runs open encrypted archives.
    pub fn or_config(&self, config: Option<&Path>) -> Result<KeyArgs> {
        if !self.is_empty() {
            return Ok(self.clone());
        }
        // A config found by default that cannot be read only matters to commands that need it.
        let loaded = match crate::config::Config::load(config) {
            Ok(c) => c,
            Err(_) if config.is_none() => return Ok(self.clone()),
            Err(e) => return Err(e),
        };
        // The identity file that opens the archives, or the passphrase they were encrypted with.
        Ok(loaded
            .encryption
            .map(|e| KeyArgs {
                identities: e.identity_file.into_iter().collect(),
                passphrase: PassphraseArgs { passphrase_env: e.passphrase_env, passphrase_file: e.passphrase_file },
            })
            .unwrap_or_default())
    }

    /// The keys given.
    pub fn keys(&self) -> Result<Keys> {
        let mut keys = Keys::none();
        for file in &self.identities {
            keys.add_identity_file(file)?;
        }
        if let Some(p) = self.passphrase.get()? {
            keys.add_passphrase(p);
        }
        Ok(keys)
    }

    /// Opens `path`, an encrypted archive with the keys given.
    pub fn open(&self, path: &Path) -> Result<Archive> {
        Ok(self.open_archive(path, false)?)
    }

    /// Opens `path`: an encrypted archive with the keys given, or, when none was given and
    /// `locked_ok`, locked (its public facts and hashes only).
    pub fn open_archive(&self, path: &Path, locked_ok: bool) -> pgark_engine::Result<Archive> {
        let keys = self.keys().map_err(|e| pgark_engine::Error::Refused(format!("{e:#}")))?;
        if keys.is_empty() && locked_ok {
            Archive::open_locked(path)
        } else {
            Archive::open_with(path, &keys)
        }
    }
}

/// Encrypting a dump: `--encrypt-to` recipients or a passphrase.
#[derive(Args, Clone, Default)]
pub struct EncryptArgs {
    /// Encrypt the archive to this age recipient (age1…) or SSH public key (ssh-ed25519 …,
    /// ssh-rsa …); repeatable: any one of them opens it.
    #[arg(long, value_name = "RECIPIENT")]
    pub encrypt_to: Vec<String>,
    /// Encrypt to every recipient in this file (one per line, # comments), as age -R reads it.
    #[arg(long, value_name = "FILE")]
    pub encrypt_to_file: Vec<PathBuf>,
    /// Or encrypt with a passphrase instead of recipients.
    #[command(flatten)]
    pub passphrase: PassphraseArgs,
}

impl EncryptArgs {
    /// The encryption asked for, if any.
    pub fn encryption(&self) -> Result<Option<Encryption>> {
        crate::config::encryption(self.encrypt_to.clone(), &self.encrypt_to_file, self.passphrase.get()?)
    }
}

/// The `--no-X` kind toggles (profiles have the same as `no_X` keys).
#[derive(Debug, Default, Clone, Copy, Args)]
pub struct KindToggles {
    /// Leave out functions, procedures and aggregates.
    #[arg(long)]
    pub no_functions: bool,
    /// Leave out row-level security switches and policies.
    #[arg(long)]
    pub no_rls: bool,
    /// Leave out triggers and event triggers.
    #[arg(long)]
    pub no_triggers: bool,
    /// Leave out indexes.
    #[arg(long)]
    pub no_indexes: bool,
    /// Leave out constraints and foreign keys.
    #[arg(long)]
    pub no_constraints: bool,
    /// Leave out views and materialized views.
    #[arg(long)]
    pub no_views: bool,
    /// Leave out comments (COMMENT ON).
    #[arg(long)]
    pub no_comments: bool,
    /// Leave out publications.
    #[arg(long)]
    pub no_publications: bool,
    /// Leave out subscriptions.
    #[arg(long)]
    pub no_subscriptions: bool,
}

impl KindToggles {
    /// Adds the kinds these toggles leave out to `kinds`.
    pub fn add_to(&self, kinds: &mut Vec<pgark_engine::Kind>) {
        let on = [
            self.no_functions,
            self.no_rls,
            self.no_triggers,
            self.no_indexes,
            self.no_constraints,
            self.no_views,
            self.no_comments,
            self.no_publications,
            self.no_subscriptions,
        ];
        crate::config::leave_out(on.into_iter().zip(crate::config::TOGGLES), kinds);
    }
}
