#pragma once
// Secrets at rest (gateway tokens, cell keys, connector credentials):
// XChaCha20-Poly1305 (libsodium) under the deployment's master key. The
// associated data binds a ciphertext to its row ("tenant/<id>/gateway_token"),
// so a ciphertext copied into another row does not decrypt.

#include <array>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace winston {

class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  /// From WINSTON_MASTER_KEY's value: 64 hex characters or standard base64 of 32 bytes.
  static Result<SecretBox> from_encoded_key(std::string_view encoded);
  /// A fresh random key, encoded as 64 hex characters (for `winston serve`'s key file).
  static std::string generate_encoded_key();

  /// "sb1:" + base64(nonce || ciphertext || tag).
  std::string seal(std::string_view plaintext, std::string_view context) const;
  /// kInternal when the ciphertext is malformed, was sealed under another key or context.
  Result<std::string> open(std::string_view sealed, std::string_view context) const;

 private:
  explicit SecretBox(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}
  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace winston
