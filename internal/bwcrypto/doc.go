// Package bwcrypto implements the client-side cryptography of the Bitwarden clients, so that
// castellan's tests and the `castellan admin` command line can build and read the same secrets the
// official clients do. The server itself never needs a user's keys; it only uses CheckEncString to
// reject malformed client values without decrypting them.
//
// # Key hierarchy
//
//	password + email --KDF--> master key (32 bytes, never leaves the client)
//	  master key --PBKDF2(1 iteration, salt = password)--> master password hash (sent to the server)
//	  master key --HKDF-Expand("enc"/"mac")--> stretched key (64 bytes)
//	    stretched key wraps the user key (64 random bytes)        -> account "Key"      ("2." string)
//	      user key wraps the RSA-2048 private key (PKCS#8 DER)    -> "PrivateKey"      ("2." string)
//	      user key encrypts the user's vault items                 -> "2." strings
//	  org key (64 random bytes) RSA-OAEP-SHA1 to each member's
//	  public key (base64 DER SPKI)                                 -> member "Key"      ("4." string)
//
// The salt is the e-mail address, trimmed and lower-cased (NormalizeSalt). Argon2id hashes the salt
// with SHA-256 first; PBKDF2 uses it as is.
//
// # Files
//
//   - kdf.go: KDF settings and their limits, salt normalisation, master key, master password hash,
//     stretching.
//   - symmetric.go: SymmetricKey (AES-256-CBC + HMAC-SHA256), encryption to and from type 2.
//   - encstring.go: the EncString wire format: parsing, formatting and the well-formedness check.
//   - rsa.go: RSA key pairs, private key wrapping, type 4 encryption to a public key.
//   - fingerprint.go, eff_large_wordlist.txt: the fingerprint phrase shown by the clients.
//   - account.go: a whole registration (NewAccount) and unlocking it again (UnlockAccount).
//
// # Randomness
//
// Every function that needs randomness takes an io.Reader. Since Go 1.26 the standard library
// ignores that reader for RSA key generation (it always uses the system source); tests that need
// deterministic RSA keys must use testing/cryptotest.SetGlobalRandom.
//
// Keys print as "[redacted]" through fmt and log/slog so that they cannot leak into logs by accident.
package bwcrypto
