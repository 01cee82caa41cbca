#include "lang/c/tokens.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/rng.h"
#include "lang/c/generator.h"
#include "lang/c/printer.h"

namespace lasynth {
namespace c {
namespace {

using Tokens = std::vector<std::string>;

TEST(CVocabulary, IdsMatchTheTokEnum) {
  const Vocabulary& v = vocabulary();
  EXPECT_EQ(v.size(), kNumTokens);
  EXPECT_EQ(v.token(kPad), "<pad>");
  EXPECT_EQ(v.token(kEos), "</s>");
  EXPECT_EQ(v.token(kInt), "int");
  EXPECT_EQ(v.token(kNe), "!=");
  EXPECT_EQ(v.token(kNot), "!");
  EXPECT_EQ(v.token(kNum0 + 16), "16");
  EXPECT_EQ(v.token(kVar0), "l_0");
  EXPECT_EQ(v.token(kVar0 + kNumLocalNames), "p_0");
  EXPECT_EQ(v.find("l_7"), kVar0 + 7);
  EXPECT_EQ(v.find("l_8"), -1);
  EXPECT_EQ(v.find("17"), -1);
}

TEST(CVocabulary, HashIdentifiesDomainVersionAndOrder) {
  const Vocabulary& v = vocabulary();
  const Tokens body(v.tokens().begin() + 3, v.tokens().end());
  EXPECT_EQ(v.hash_hex().size(), 16u);
  EXPECT_EQ(Vocabulary("c", kVocabularyVersion, body).hash(), v.hash());
  EXPECT_NE(Vocabulary("c", kVocabularyVersion + 1, body).hash(), v.hash());
  EXPECT_NE(Vocabulary("karel", kVocabularyVersion, body).hash(), v.hash());
  Tokens reordered = body;
  std::swap(reordered[0], reordered[1]);
  EXPECT_NE(Vocabulary("c", kVocabularyVersion, reordered).hash(), v.hash());
}

TEST(CVocabulary, EncodeAndDecodeNameTheBadToken) {
  try {
    vocabulary().encode({"int", "foo"});
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("token 1 'foo'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(vocabulary().decode({kNumTokens}), ParseError);
  EXPECT_THROW(vocabulary().decode({-1}), ParseError);
  EXPECT_EQ(vocabulary().decode(vocabulary().encode({"a", "[", "3", "]"})),
            (Tokens{"a", "[", "3", "]"}));
}

TEST(CTokenize, SplitsOperatorsByLongestMatch) {
  EXPECT_EQ(tokenize("a[0]+=l_1--;"), (Tokens{"a", "[", "0", "]", "+=", "l_1", "--", ";"}));
  EXPECT_EQ(tokenize("l_0<=-4&&!(p_2!=16)"),
            (Tokens{"l_0", "<=", "-", "4", "&&", "!", "(", "p_2", "!=", "16", ")"}));
  EXPECT_EQ(tokenize("  \n\t"), Tokens{});
}

TEST(CTokenize, RejectsWhatIsNotInTheLanguageWithPosition) {
  auto message = [](const std::string& text) {
    try {
      tokenize(text);
    } catch (const ParseError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("int x = 1;").find("line 1, column 5: 'x'"), std::string::npos)
      << message("int x = 1;");
  EXPECT_NE(
      message("a[0] = 1;\n  a[1] = 2 & 3;").find("line 2, column 12: unexpected character '&'"),
      std::string::npos);
  EXPECT_NE(message("a[0] = 17;").find("'17'"), std::string::npos);
  EXPECT_NE(message(std::string("a[0] \x01")).find("byte 0x01"), std::string::npos);
  EXPECT_NE(message("printf(1);").find("'printf'"), std::string::npos);
}

TEST(CFormat, TokensTextTokensRoundTripOnGeneratedPrograms) {
  Limits limits;
  Generator gen(limits);
  Rng rng(11);
  for (int i = 0; i < 500; ++i) {
    const std::vector<int32_t> ids = to_tokens(gen.sample_program(rng));
    const std::string text = format(ids);
    ASSERT_EQ(vocabulary().encode(tokenize(text)), ids) << text;
  }
}

TEST(CFormat, LaysOutReadableC) {
  const auto ids = vocabulary().encode(tokenize(
      "int*func_1(int a[]){int l_0=-4;if(l_0<a[0]){a[1]=a[0]- -2;}else{l_0++;}return a;}"));
  EXPECT_EQ(format(ids),
            "int * func_1(int a[]) {\n"
            "  int l_0 = -4;\n"
            "  if (l_0 < a[0]) {\n"
            "    a[1] = a[0] - -2;\n"
            "  } else {\n"
            "    l_0++;\n"
            "  }\n"
            "  return a;\n"
            "}\n");
}

}  // namespace
}  // namespace c
}  // namespace lasynth
