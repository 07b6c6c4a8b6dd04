#include "aliquot/storage/files/secret_key_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "aliquot/core/error.h"
#include "aliquot/core/hex.h"
#include "aliquot/core/secret_box.h"
#include "aliquot/storage/files/data_folder.h"
#include "tests/support/file_mode.h"
#include "tests/support/temp_dir.h"

// Not tested here: a key file the server cannot read (mode 0000). The tests run as root, which
// reads such files anyway, so the refusal cannot be observed.

namespace aliquot::storage {
namespace {

using ::aliquot::testing::ModeOf;
using ::aliquot::testing::ScopedUmask;

constexpr std::string_view kKeyHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Writes `content` to `path` with exactly `mode`.
void WriteFile(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

// A credentials key file in a fresh folder of its own.
class KeyFolder {
 public:
  std::filesystem::path KeyPath() const { return dir_ / "credentials.key"; }
  SecretKeyFile File() const { return SecretKeyFile(KeyPath()); }
  const std::filesystem::path& Path() const { return dir_.Path(); }

 private:
  testing::TempDir dir_;
};

TEST(SecretKeyFile, LoadsTheKeyItCreated) {
  const KeyFolder folder;
  const Result<SecretKey> created = folder.File().Create();
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  const Result<SecretKey> loaded = folder.File().Load();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  EXPECT_EQ(loaded->KeyId(), created->KeyId());
  // What one server sealed, a server that loaded the same file unseals.
  const std::string sealed = Seal(*created, "secret", "user/U-0001/totp");
  EXPECT_EQ(Unseal(*loaded, sealed, "user/U-0001/totp").value_or("<error>"), "secret");
}

TEST(SecretKeyFile, WritesTheKeyAsOneLineOfHex) {
  const KeyFolder folder;
  const Result<SecretKey> created = folder.File().Create();
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_EQ(ReadFile(folder.KeyPath()), HexEncode(created->Bytes()) + "\n");
  // Nothing is left behind but the key itself (no temporary file).
  int files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder.Path())) {
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(SecretKeyFile, CreatesTheFileReadableByItsOwnerOnly) {
  const KeyFolder folder;
  const ScopedUmask permissive(0);
  ASSERT_TRUE(folder.File().Create().has_value());
  EXPECT_EQ(ModeOf(folder.KeyPath()), 0600U);
}

TEST(SecretKeyFile, GeneratesADifferentKeyForEachSite) {
  const KeyFolder folder;
  const testing::TempDir other;
  const Result<SecretKey> first = folder.File().Create();
  const Result<SecretKey> second = SecretKeyFile(other / "credentials.key").Create();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_NE(first->KeyId(), second->KeyId());
}

TEST(SecretKeyFile, RefusesToReplaceAnExistingKey) {
  const KeyFolder folder;
  const Result<SecretKey> first = folder.File().Create();
  ASSERT_TRUE(first.has_value());
  const std::string before = ReadFile(folder.KeyPath());
  const Result<SecretKey> second = folder.File().Create();
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().Code(), ErrorCode::kAlreadyExists);
  EXPECT_NE(second.error().Message().find(folder.KeyPath().string()), std::string::npos)
      << second.error().Message();
  EXPECT_EQ(ReadFile(folder.KeyPath()), before);
  EXPECT_EQ(folder.File().Load()->KeyId(), first->KeyId());
}

TEST(SecretKeyFile, RefusesAKeyOthersCanReadSayingHowToFixIt) {
  const KeyFolder folder;
  ASSERT_TRUE(folder.File().Create().has_value());
  for (const mode_t mode : {0644U, 0640U, 0604U, 0660U, 0606U, 0610U, 0601U}) {
    ASSERT_EQ(::chmod(folder.KeyPath().c_str(), mode), 0);
    const Result<SecretKey> loaded = folder.File().Load();
    ASSERT_FALSE(loaded.has_value()) << std::oct << mode;
    EXPECT_EQ(loaded.error().Code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(loaded.error().Message().find("chmod 600 " + folder.KeyPath().string()),
              std::string::npos)
        << loaded.error().Message();
  }
  ASSERT_EQ(::chmod(folder.KeyPath().c_str(), 0640), 0);
  EXPECT_NE(folder.File().Load().error().Message().find("has permissions 0640"), std::string::npos);
  ASSERT_EQ(::chmod(folder.KeyPath().c_str(), 0600), 0);
  EXPECT_TRUE(folder.File().Load().has_value());
  ASSERT_EQ(::chmod(folder.KeyPath().c_str(), 0400), 0);
  EXPECT_TRUE(folder.File().Load().has_value());
}

TEST(SecretKeyFile, RefusesAKeyFileOwnedByAnotherUser) {
  const KeyFolder folder;
  if (::geteuid() != 0) GTEST_SKIP() << "only root can give a file to another user";
  ASSERT_TRUE(folder.File().Create().has_value());
  ASSERT_EQ(::chown(folder.KeyPath().c_str(), 65534, 65534), 0);
  const Result<SecretKey> loaded = folder.File().Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().Code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(loaded.error().Message().find("belongs to another user (uid 65534)"), std::string::npos)
      << loaded.error().Message();
}

TEST(SecretKeyFile, ReportsAMissingKeyAsNotFound) {
  const KeyFolder folder;
  const Result<SecretKey> loaded = folder.File().Load();
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().Code(), ErrorCode::kNotFound);
  EXPECT_NE(loaded.error().Message().find(folder.KeyPath().string()), std::string::npos)
      << loaded.error().Message();
}

TEST(SecretKeyFile, ReportsAnythingButSixtyFourHexDigitsAsDataLoss) {
  const KeyFolder folder;
  const std::string key(kKeyHex);
  for (const std::string& content :
       {std::string(), std::string("\n"), key.substr(1) + "\n", key + "aa\n",
        key.substr(2) + "zz\n", " " + key.substr(1) + "\n", "key:" + key + "\n", key + " \n",
        std::string(5000, 'a')}) {
    WriteFile(folder.KeyPath(), content, 0600);
    const Result<SecretKey> loaded = folder.File().Load();
    ASSERT_FALSE(loaded.has_value()) << "'" << content << "'";
    EXPECT_EQ(loaded.error().Code(), ErrorCode::kDataLoss) << loaded.error().ToString();
    EXPECT_NE(loaded.error().Message().find("is corrupt"), std::string::npos)
        << loaded.error().Message();
  }
}

TEST(SecretKeyFile, LoadsAKeyWrittenByHandWithOrWithoutItsNewline) {
  const KeyFolder folder;
  for (const std::string& content :
       {std::string(kKeyHex), std::string(kKeyHex) + "\n", std::string(kKeyHex) + "\r\n"}) {
    WriteFile(folder.KeyPath(), content, 0600);
    const Result<SecretKey> loaded = folder.File().Load();
    ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
    EXPECT_EQ(HexEncode(loaded->Bytes()), kKeyHex);
  }
}

TEST(SecretKeyFile, LivesBesideTheSigningKeyInANewDataFolder) {
  const testing::TempDir dir;
  const Result<DataFolder> folder = DataFolder::Create(dir / "data");
  ASSERT_TRUE(folder.has_value()) << folder.error().ToString();
  EXPECT_EQ(folder->CredentialKey(), dir / "data" / "keys" / "credentials.key");
  EXPECT_EQ(folder->CredentialKey().parent_path(), folder->SigningKey().parent_path());
  const Result<SecretKey> created = SecretKeyFile(folder->CredentialKey()).Create();
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_EQ(SecretKeyFile(folder->CredentialKey()).Load()->KeyId(), created->KeyId());
}

TEST(SecretKeyFile, ReportsAMissingFolderWhenCreating) {
  const KeyFolder folder;
  const Result<SecretKey> created =
      SecretKeyFile(folder.Path() / "no-such-folder" / "credentials.key").Create();
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().Code(), ErrorCode::kNotFound) << created.error().ToString();
}

}  // namespace
}  // namespace aliquot::storage
