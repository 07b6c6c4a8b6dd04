// Password hashing with Argon2id (RFC 9106) through libsodium. The stored form is the PHC string
// "$argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<hash>", which carries its own salt and cost, so
// a hash made at an older cost still verifies and can be recognised for rehashing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aliquot/core/result.h"

namespace aliquot {

// How much work one hash takes: Argon2id passes over `memory_bytes` of memory.
struct PasswordHashCost {
  std::uint64_t operations = 0;
  std::size_t memory_bytes = 0;

  // The production cost: libsodium's OPSLIMIT_INTERACTIVE (2 passes) and MEMLIMIT_INTERACTIVE
  // (64 MiB). It is above OWASP's minimums for Argon2id (19 MiB with 2 passes) and takes about
  // 0.1 s of CPU on a 2-core VM (bench/identity_bench), which a person signing in barely notices
  // but a guesser pays for every guess. It needs its 64 MiB only for the duration of one check,
  // and at most kHashesAtOnce hashes and checks run at once in a process, so they hold at most
  // 256 MiB however many connections sign in together.
  static PasswordHashCost Interactive();
  // libsodium's smallest cost (1 pass over 8 KiB). For tests only, so that they run fast: it
  // protects nothing.
  static PasswordHashCost Minimum();
};

// Hashes and checks running at once in a process; more wait their turn.
inline constexpr int kHashesAtOnce = 4;

// Hashes `password` with a fresh random salt at `cost`. Returns the PHC string. Returns kInternal
// if libsodium fails: out of memory, or a cost outside libsodium's bounds.
Result<std::string> HashPassword(std::string_view password, const PasswordHashCost& cost);

// True when `password` is the one `encoded` was made from, false when it is not. The comparison
// takes the same time wherever the hashes differ (crypto_pwhash_str_verify). Returns kDataLoss if
// `encoded` is not an Argon2id PHC string (a stored hash was corrupted or is of another kind).
Result<bool> VerifyPassword(std::string_view encoded, std::string_view password);

// True when `encoded` was not made at `cost` (so the next successful login should store a new
// hash), and also when it is not an Argon2id PHC string at all.
bool PasswordHashNeedsRehash(std::string_view encoded, const PasswordHashCost& cost);

}  // namespace aliquot
