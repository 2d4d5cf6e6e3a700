#include "core/ids.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace winston {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void fill_random(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

std::string to_hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0x0f];
  }
  return out;
}

}  // namespace

std::string new_uuid_v7(EpochMs now) {
  // Monotonic within the process (RFC 9562, method 1): a 12-bit counter in
  // rand_a orders ids made in the same millisecond, so "newest first" is exact.
  static std::mutex mu;
  static std::uint64_t last_ms = 0;
  static std::uint16_t counter = 0;
  std::array<unsigned char, 16> b{};
  fill_random(b.data(), b.size());
  std::uint64_t ms = static_cast<std::uint64_t>(now);
  {
    std::lock_guard lock(mu);
    if (ms <= last_ms) {
      ms = last_ms;
      if (++counter > 0x0fff) {  // counter exhausted: borrow the next millisecond
        ++ms;
        counter = 0;
      }
    } else {
      counter = static_cast<std::uint16_t>(b[6] & 0x03);  // small random start leaves room to count
    }
    last_ms = ms;
    b[6] = static_cast<unsigned char>(counter >> 8);
    b[7] = static_cast<unsigned char>(counter & 0xff);
  }
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0f));  // version 7
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));  // RFC variant
  const std::string h = to_hex(b.data(), b.size());
  return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' + h.substr(20);
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  fill_random(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  return to_hex(md.data(), len);
}

bool secure_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace winston
