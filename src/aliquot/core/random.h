// Randomness and comparison for secrets: libsodium's random source (the operating system's,
// through getrandom) and a comparison whose time does not depend on where two secrets differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace aliquot {

// Fills `out` with bytes from the operating system's cryptographic random source.
void SecureRandom(std::span<std::uint8_t> out);

// `bytes` random bytes as lower-case hex (2 * `bytes` digits): session tokens, nonces, salts.
std::string RandomHex(std::size_t bytes);

// True when `a` and `b` are equal. For equal lengths the comparison takes the same time wherever
// they differ (sodium_memcmp), so comparing a presented token with the stored one does not leak
// how much of it was right. The lengths themselves are compared openly: compare values of a fixed
// length (hashes, MACs, tokens) so that the length gives nothing away.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

namespace internal {
// Initialises libsodium once, thread-safely. Code in core calls it before any libsodium function.
void EnsureSodium();
}  // namespace internal

}  // namespace aliquot
