// A strict subset of YAML 1.2 for files people write and review in version control (the master
// batch record definition format), read into a Json value with the line and column of every node,
// and written back deterministically. Our own, like Json, because the subset is part of a format
// we document: anchors, aliases, tags, directives, complex keys and multi-line plain scalars are
// refused (each with its position), so a file means one thing to every reader. Plain scalars are
// resolved with the YAML 1.2 core schema (null, true/false, decimal numbers); anything else is
// text, so "NO" and "1.10" written plain are text and a number respectively, and text that a YAML
// reader could take for another type is always written quoted.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "aliquot/core/json.h"
#include "aliquot/core/result.h"

namespace aliquot {

struct YamlPosition {
  int line = 0;    // 1-based.
  int column = 0;  // 1-based, in code points.
  friend bool operator==(const YamlPosition&, const YamlPosition&) = default;
};

// Where each node of a parsed document stands, by RFC 6901 JSON pointer: "" is the root,
// "/unit_procedures/0/operations/2/id" a member of an element. A scalar stands at its first
// character (a block scalar at its '|' or '>'), a block mapping at its first key, a block sequence
// at its first '-', a flow collection at its '[' or '{', and a member with no value at its key.
// For a mapping member, the key's position is kept too, so an unknown field can be shown where its
// name is.
class YamlPositions {
 public:
  // The node at `pointer`; nullopt when the document had none there.
  std::optional<YamlPosition> Of(std::string_view pointer) const;
  // The key of the mapping member at `pointer`; nullopt for the root, array elements and absent
  // members.
  std::optional<YamlPosition> KeyOf(std::string_view pointer) const;
  // The position of `pointer` or of its nearest ancestor the document has: where a missing member
  // would go. {1, 1} for an empty document.
  YamlPosition Nearest(std::string_view pointer) const;

  // Records the node at `pointer`, replacing what was recorded there before.
  void Add(std::string pointer, YamlPosition value, std::optional<YamlPosition> key);

 private:
  struct Entry {
    YamlPosition value;
    std::optional<YamlPosition> key;
  };
  // Hashes std::string and std::string_view alike, so that a lookup needs no copy. A hash map
  // rather than an ordered one: a 300 KB file has tens of thousands of nodes, and pointers share
  // long prefixes that make ordered comparisons slow.
  struct PointerHash {
    using is_transparent = void;  // NOLINT(readability-identifier-naming): the standard's name.
    std::size_t operator()(std::string_view pointer) const {
      return std::hash<std::string_view>{}(pointer);
    }
  };
  std::unordered_map<std::string, Entry, PointerHash, std::equal_to<>> entries_;
};

// Appends one reference token to a JSON pointer, escaping '~' and '/' (RFC 6901):
// JsonPointerAppend("/steps", "a/b") == "/steps/a~1b".
std::string JsonPointerAppend(std::string_view pointer, std::string_view token);
std::string JsonPointerAppend(std::string_view pointer, std::size_t index);

struct YamlParseOptions {
  // Nesting deeper than this is refused rather than risking the stack on hostile input.
  int max_depth = 64;
};

// Parses one YAML document of the subset into Json, recording every node's position in
// `positions` when it is given. The subset: block mappings and sequences (a sequence may sit at
// its parent key's indentation; "- key: value" starts a mapping on the dash's line); plain,
// 'single-' and "double-quoted" scalars on one line (YAML's escapes: \" \\ \/ \n \t \r \0
// \xXX \uXXXX \UXXXXXXXX and the rest of section 5.7); literal (|, |-, |+) and folded (>, >-, >+)
// block scalars; flow sequences and mappings on one line ([a, b], {low: 2, high: 8}); comments;
// an optional leading "---" and trailing "..."; a UTF-8 byte order mark; LF or CRLF line ends.
// Plain scalars: null, Null, NULL, ~ and nothing are null; true/True/TRUE/false/False/FALSE are
// booleans; decimal integers and floats (1, -2.5, 1e6, .5) are numbers; everything else is text.
// Keys are text as written ("1: a" has the key "1"). Block plain text may hold [ ] { } , * / and
// ':' not followed by a space after its first character; '#' is a comment only after a space.
// Returns kInvalidArgument with the position and what was wrong, and what to write instead:
// "line 12, column 5: a tab cannot indent YAML; use spaces". Refused: tabs in indentation,
// duplicate keys (naming both places), anchors (&), aliases (*), tags (!), directives (%),
// complex keys (?), a second document, content after "---" or "..." on their line, a flow
// collection or a quoted scalar spanning lines, a plain scalar continued on the next line, a
// mapping or sequence starting on its key's line, inconsistent indentation, an explicit block
// indentation indicator (|2), unknown escapes and escaped surrogates, text beginning with a
// reserved indicator (% @ ` , ] } #), integers beyond +/-(2^53 - 1), numbers a double cannot
// hold, .inf and .nan, invalid UTF-8, control characters other than tab (written raw), a carriage
// return without a line feed, nesting deeper than max_depth.
Result<Json> ParseYaml(std::string_view text, YamlPositions* positions = nullptr,
                       YamlParseOptions options = {});

// Writes `value` as a YAML document of the subset that ParseYaml reads back equal (Json ==),
// with members in the order the Json holds them: block style, two-space indentation, a mapping in
// a sequence started on the dash's line; a sequence of scalars written in flow style, and so is a
// mapping of scalars that is a member's value, when the line fits in 100 columns; [] and {} for
// empty collections; multi-line text as a literal block scalar (|, |- or |+ as its final line
// breaks require), or double-quoted when a literal block cannot hold it exactly (spaces at the
// start of its first line or the end of any line, control characters); text quoted whenever plain
// would read as something else (null, true, a number, .inf, yes/no/on/off or 0x1F and 2024-01-31
// for YAML 1.1 readers, leading or trailing spaces, an indicator first, ": " or " #" inside, ':'
// last, and in flow collections any of , [ ] { }). Numbers in their RFC 8785 form, an integral one
// beyond 2^53 with ".0" so that it reads back as a double. Ends with a newline.
std::string EmitYaml(const Json& value);

}  // namespace aliquot
