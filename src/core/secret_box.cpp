#include "core/secret_box.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace winston {
namespace {

constexpr std::string_view kPrefix = "sb1:";

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<SecretBox> SecretBox::from_encoded_key(std::string_view encoded) {
  ensure_sodium();
  std::array<unsigned char, kKeyBytes> key{};
  std::size_t len = 0;
  const char* end = nullptr;
  const std::string text(encoded);
  bool decoded = false;
  if (text.size() == 2 * kKeyBytes) {
    decoded = sodium_hex2bin(key.data(), key.size(), text.c_str(), text.size(), nullptr, &len, &end) == 0 &&
              len == kKeyBytes && end == text.c_str() + text.size();
  }
  if (!decoded && !text.empty()) {
    std::vector<unsigned char> buf(text.size());
    decoded = sodium_base642bin(buf.data(), buf.size(), text.c_str(), text.size(), nullptr, &len, &end,
                                sodium_base64_VARIANT_ORIGINAL) == 0 &&
              len == kKeyBytes && end == text.c_str() + text.size();
    if (decoded) std::copy_n(buf.begin(), kKeyBytes, key.begin());
    sodium_memzero(buf.data(), buf.size());
  }
  if (!decoded) {
    return Error::invalid("WINSTON_MASTER_KEY", "the master key must be 32 bytes as 64 hex characters or base64");
  }
  SecretBox box(key);
  sodium_memzero(key.data(), key.size());
  return box;
}

std::string SecretBox::generate_encoded_key() {
  ensure_sodium();
  std::array<unsigned char, kKeyBytes> key{};
  randombytes_buf(key.data(), key.size());
  std::string hex(2 * kKeyBytes + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
  sodium_memzero(key.data(), key.size());
  hex.pop_back();
  return hex;
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view context) const {
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::vector<unsigned char> out(kNonce + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(out.data(), kNonce);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kNonce, &clen, bytes(plaintext), plaintext.size(),
                                             bytes(context), context.size(), nullptr, out.data(), key_.data());
  out.resize(kNonce + clen);
  std::string b64(sodium_base64_ENCODED_LEN(out.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(b64.data(), b64.size(), out.data(), out.size(), sodium_base64_VARIANT_ORIGINAL);
  b64.resize(b64.size() - 1);  // the terminating NUL
  return std::string(kPrefix) + b64;
}

Result<std::string> SecretBox::open(std::string_view sealed, std::string_view context) const {
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  const auto bad = [] { return Error::internal("a stored secret could not be decrypted (wrong master key?)"); };
  if (!sealed.starts_with(kPrefix)) return bad();
  const std::string b64(sealed.substr(kPrefix.size()));
  if (b64.empty()) return bad();
  std::vector<unsigned char> raw(b64.size());
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(raw.data(), raw.size(), b64.c_str(), b64.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.c_str() + b64.size() || len < kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return bad();
  }
  std::string plain(len - kNonce - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr,
                                                 raw.data() + kNonce, len - kNonce, bytes(context), context.size(),
                                                 raw.data(), key_.data()) != 0) {
    return bad();
  }
  plain.resize(plen);
  return plain;
}

}  // namespace winston
