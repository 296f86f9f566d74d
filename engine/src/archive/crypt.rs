//! Encryption at rest, with age only (no cryptography of pgark's own).
//!
//! Each encrypted archive has its own archive key, an age X25519 identity made for it. Every
//! chunk, and the manifest, is an age file encrypted to that key, so chunks are decrypted (and
//! verified) independently and in parallel. The archive key itself is stored as an age file
//! encrypted to the user's recipients (X25519 `age1…` or SSH public keys) or passphrase (age's
//! scrypt: slow by design, so it is used once per archive, never per chunk). Anyone holding
//! one of the matching identities, or the passphrase, unwraps the archive key and reads it all.

use std::io::{BufReader, Read, Write};
use std::path::Path;

use age::secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// Who may open the archives a dump writes: age recipients or one passphrase.
#[derive(Clone, Default)]
pub struct Encryption {
    /// Recipients as written: `age1…` (X25519) or an SSH public key (`ssh-ed25519 …`, `ssh-rsa …`).
    pub recipients: Vec<String>,
    /// A passphrase instead (age's scrypt recipient); never printed or recorded.
    pub passphrase: Option<SecretString>,
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryption")
            .field("recipients", &self.recipients)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "(hidden)"))
            .finish()
    }
}

impl Encryption {
    /// Checks the recipients (each must parse) and that recipients and a passphrase are not
    /// both given (age files hold one or the other).
    pub fn check(&self) -> Result<()> {
        match (&self.passphrase, self.recipients.is_empty()) {
            (Some(_), false) => {
                Err(Error::Refused("encrypt to recipients or with a passphrase, not both (age files hold one)".into()))
            }
            (None, true) => Err(Error::Refused("encryption needs a recipient or a passphrase".into())),
            (Some(_), true) => Ok(()),
            (None, false) => self.recipients.iter().try_for_each(|r| parse_recipient(r).map(drop)),
        }
    }

    /// How the archive key is protected, for the archive's public part: the recipients, or
    /// `passphrase`.
    pub(crate) fn described(&self) -> Vec<String> {
        if self.passphrase.is_some() {
            vec!["passphrase".into()]
        } else {
            self.recipients.clone()
        }
    }

    /// The age recipients, once [`Encryption::check`] passed (the scrypt recipient times its
    /// work factor when made: made once, when the key is wrapped).
    fn parsed(&self) -> Result<Vec<Box<dyn age::Recipient + Send>>> {
        self.check()?;
        match &self.passphrase {
            Some(p) => Ok(vec![Box::new(age::scrypt::Recipient::new(p.clone()))]),
            None => self.recipients.iter().map(|r| parse_recipient(r)).collect(),
        }
    }
}

fn parse_recipient(text: &str) -> Result<Box<dyn age::Recipient + Send>> {
    let t = text.trim();
    if let Ok(r) = t.parse::<age::x25519::Recipient>() {
        return Ok(Box::new(r));
    }
    if let Ok(r) = t.parse::<age::ssh::Recipient>() {
        return Ok(Box::new(r));
    }
    Err(Error::Refused(format!(
        "'{t}' is not an age recipient (age1…) or an SSH public key (ssh-ed25519 …, ssh-rsa …)"
    )))
}

/// What opens encrypted archives: age identities (from identity files: `AGE-SECRET-KEY-1…`
/// lines, or an unencrypted SSH private key) and passphrases.
#[derive(Default)]
pub struct Keys {
    identities: Vec<Box<dyn age::Identity>>,
    /// Where they came from, for messages (file names, "a passphrase").
    sources: Vec<String>,
}

impl Keys {
    /// No keys: encrypted archives can only be listed and checked from outside.
    pub fn none() -> Keys {
        Keys::default()
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.identities.is_empty()
    }

    /// Adds the identities of an age identity file or an SSH private key file.
    pub fn add_identity_file(&mut self, path: &Path) -> Result<()> {
        let bad = |reason: String| Error::Refused(format!("identity file {}: {reason}", path.display()));
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8_lossy(&bytes);
        if text.contains("PRIVATE KEY-----") {
            let identity = age::ssh::Identity::from_buffer(BufReader::new(&bytes[..]), None)
                .map_err(|e| bad(format!("not a usable SSH private key ({e})")))?;
            match identity {
                age::ssh::Identity::Unencrypted(_) => self.identities.push(Box::new(identity)),
                age::ssh::Identity::Encrypted(_) => {
                    return Err(bad("the SSH key is protected by a passphrase: use an unencrypted copy or an age \
                                    identity"
                        .into()))
                }
                age::ssh::Identity::Unsupported(_) => return Err(bad("this kind of SSH key is not supported".into())),
            }
        } else {
            let file = age::IdentityFile::from_buffer(BufReader::new(&bytes[..]))
                .map_err(|_| bad("not an age identity file (lines of AGE-SECRET-KEY-1…)".into()))?;
            let found = file.into_identities().map_err(|e| bad(e.to_string()))?;
            if found.is_empty() {
                return Err(bad("no identity in the file".into()));
            }
            self.identities.extend(found);
        }
        self.sources.push(path.display().to_string());
        Ok(())
    }

    /// Adds a passphrase.
    pub fn add_passphrase(&mut self, passphrase: SecretString) {
        self.identities.push(Box::new(age::scrypt::Identity::new(passphrase)));
        self.sources.push("a passphrase".into());
    }

    fn described(&self) -> String {
        self.sources.join(", ")
    }
}

/// The key of one encrypted archive.
pub(crate) struct ArchiveKey {
    identity: age::x25519::Identity,
    recipient: age::x25519::Recipient,
}

impl std::fmt::Debug for ArchiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ArchiveKey({})", self.recipient)
    }
}

impl ArchiveKey {
    /// A new random key.
    pub fn generate() -> ArchiveKey {
        let identity = age::x25519::Identity::generate();
        let recipient = identity.to_public();
        ArchiveKey { identity, recipient }
    }

    /// `plain` as an age file to this key.
    pub fn seal(&self, plain: &[u8]) -> std::result::Result<Vec<u8>, String> {
        age::encrypt(&self.recipient, plain).map_err(|e| format!("cannot encrypt: {e}"))
    }

    /// The plaintext of an age file sealed to this key; an error when it was changed.
    pub fn open(&self, sealed: &[u8]) -> std::result::Result<Vec<u8>, String> {
        age::decrypt(&self.identity, sealed).map_err(|e| format!("cannot decrypt: {e}"))
    }

    /// This key as an age file to `to`'s recipients or passphrase.
    pub fn wrap(&self, to: &Encryption) -> Result<Vec<u8>> {
        let recipients = to.parsed()?;
        let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient))
            .map_err(|e| Error::Refused(format!("cannot encrypt the archive key: {e}")))?;
        let mut out = Vec::new();
        let mut writer =
            encryptor.wrap_output(&mut out).map_err(|e| Error::Internal(format!("encrypting the archive key: {e}")))?;
        writer
            .write_all(self.identity.to_string().expose_secret().as_bytes())
            .and_then(|_| writer.finish().map(|_| ()))
            .map_err(|e| Error::Internal(format!("encrypting the archive key: {e}")))?;
        Ok(out)
    }

    /// The archive key inside `wrapped`, opened with any of `keys`.
    pub fn unwrap(wrapped: &[u8], keys: &Keys) -> std::result::Result<ArchiveKey, String> {
        let decryptor =
            age::Decryptor::new_buffered(wrapped).map_err(|e| format!("its key envelope is damaged ({e})"))?;
        let mut reader = decryptor.decrypt(keys.identities.iter().map(|i| i.as_ref())).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => format!("none of the keys given ({}) opens it", keys.described()),
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                format!("the keys given ({}) do not open it (wrong passphrase?)", keys.described())
            }
            other => format!("its key cannot be opened with {}: {other}", keys.described()),
        })?;
        let mut secret = String::new();
        reader.read_to_string(&mut secret).map_err(|e| format!("its key envelope is damaged ({e})"))?;
        let identity: age::x25519::Identity =
            secret.trim().parse().map_err(|_| "its key envelope holds no age key".to_string())?;
        let recipient = identity.to_public();
        Ok(ArchiveKey { identity, recipient })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_and_the_key_opens_only_with_a_matching_identity() {
        let key = ArchiveKey::generate();
        let sealed = key.seal(b"COPY bytes").unwrap();
        assert_eq!(key.open(&sealed).unwrap(), b"COPY bytes");
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(key.open(&bad).is_err(), "a changed byte is refused");
        assert!(ArchiveKey::generate().open(&sealed).is_err(), "another key cannot open it");

        let user = age::x25519::Identity::generate();
        let to = Encryption { recipients: vec![user.to_public().to_string()], passphrase: None };
        let wrapped = key.wrap(&to).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("id.txt");
        std::fs::write(&file, format!("# a comment\n{}\n", user.to_string().expose_secret())).unwrap();
        let mut keys = Keys::none();
        keys.add_identity_file(&file).unwrap();
        let opened = ArchiveKey::unwrap(&wrapped, &keys).unwrap();
        assert_eq!(opened.open(&sealed).unwrap(), b"COPY bytes");
        let mut other = Keys::none();
        std::fs::write(&file, age::x25519::Identity::generate().to_string().expose_secret()).unwrap();
        other.add_identity_file(&file).unwrap();
        assert!(ArchiveKey::unwrap(&wrapped, &other).unwrap_err().contains("none of the keys given"));
    }

    #[test]
    fn recipients_are_checked() {
        let bad = Encryption { recipients: vec!["age1nope".into()], passphrase: None };
        assert!(bad.check().unwrap_err().to_string().contains("'age1nope' is not an age recipient"));
        let both = Encryption { recipients: vec!["x".into()], passphrase: Some("p".to_string().into()) };
        assert!(both.check().unwrap_err().to_string().contains("not both"));
        assert!(Encryption::default().check().is_err());
    }
}
