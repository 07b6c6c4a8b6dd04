// The worked example of docs/ledger-format.md section 11, shared by the tests that pin the code to
// the document: one event, its hash and export line, and the checkpoint over it signed with the
// RFC 8032 TEST 1 key (its secret is published; it is for examples only).
#pragma once

#include <cstdint>
#include <string_view>

#include "aliquot/core/timestamp.h"

namespace aliquot::testing {

// The event's content C (the canonical JSON without "hash"), its hash and its export line.
constexpr std::string_view kWorkedEventContent =
    R"({"actor":{"id":"system","name":"Aliquot server"},"event_type":"system.initialised",)"
    R"("format":1,"payload":{"site":"Zürich"},)"
    R"("prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
    R"("reason":null,"seq":1,"stream":{"id":"system","type":"system"},"terminal":"server",)"
    R"("time":"2026-03-02T09:00:00.000000Z"})";
constexpr std::string_view kWorkedEventHash =
    "52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab";
constexpr std::string_view kWorkedEventLine =
    R"({"actor":{"id":"system","name":"Aliquot server"},"event_type":"system.initialised",)"
    R"("format":1,"hash":"52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab",)"
    R"("payload":{"site":"Zürich"},)"
    R"("prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",)"
    R"("reason":null,"seq":1,"stream":{"id":"system","type":"system"},"terminal":"server",)"
    R"("time":"2026-03-02T09:00:00.000000Z"})";
// 2026-03-02T09:00:00Z, the event's time; the checkpoint is signed a second later.
constexpr std::int64_t kWorkedEventSeconds = 1772442000;
constexpr Timestamp kWorkedEventTime =
    Timestamp::FromMicros(kWorkedEventSeconds * kMicrosPerSecond);
constexpr Timestamp kWorkedCheckpointTime =
    Timestamp::FromMicros((kWorkedEventSeconds + 1) * kMicrosPerSecond);

// The RFC 8032 section 7.1 TEST 1 key.
constexpr std::string_view kTest1Seed =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr std::string_view kTest1PublicKey =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kTest1KeyId =
    "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";

// The checkpoint over the one event: the signed part, the signature, and the whole line.
constexpr std::string_view kWorkedCheckpointUnsigned =
    R"({"key_id":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9",)"
    R"("root_hash":"52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab",)"
    R"("time":"2026-03-02T09:00:01.000000Z","tree_size":1})";
constexpr std::string_view kWorkedCheckpointSignature =
    "2255d25fb1a9c6dde47581c651883f3bdb9983c8bf23bde4323da0afae9d10b392d0767fbd288890a54f8bbe20d3f8"
    "e72686929b712c3997d90337964d373609";
constexpr std::string_view kWorkedCheckpointLine =
    R"({"key_id":"21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9",)"
    R"("root_hash":"52d855dccd9473fbb691574dd52145df9ae74c7e25f80f65fcaca9441bcd53ab",)"
    R"("signature":"2255d25fb1a9c6dde47581c651883f3bdb9983c8bf23bde4323da0afae9d10b392d0767fbd28)"
    R"(8890a54f8bbe20d3f8e72686929b712c3997d90337964d373609",)"
    R"("time":"2026-03-02T09:00:01.000000Z","tree_size":1})";

}  // namespace aliquot::testing
