// The JSON forms of validator sets and certificates: round trips and strict refusals.
#include "consensus/json_format.hpp"

#include <gtest/gtest.h>

#include "consensus/simulator.hpp"
#include "tests/support/seed.hpp"

namespace ciro::consensus {
namespace {

quorum_certificate a_certificate() {
  simulation_config config;
  config.byzantine = 0;
  config.faults = false;
  config.random_delays = false;
  config.requests = 1;
  return *simulate(config, test::seed()).first_certificate;
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(JsonFormat, ValidatorSetsRoundTrip) {
  const validator_set set = simulation_validators(7);
  const auto back = validators_from_json(validators_to_json(set));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back.value().digest(), set.digest());
}

TEST(JsonFormat, CertificatesRoundTripAndStillCheck) {
  const validator_set set = simulation_validators(4);
  const quorum_certificate cert = a_certificate();
  const auto back = certificate_from_json(certificate_to_json(cert, set));
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back.value().certificate, cert);
  EXPECT_EQ(back.value().validator_set, set.digest());
  EXPECT_TRUE(check_certificate(back.value().certificate, set).has_value());
}

TEST(JsonFormat, ACertificateOfABatchCarryingEvidenceRoundTrips) {
  const validator_set set = simulation_validators(4);
  quorum_certificate cert = a_certificate();
  cert.committed.evidence = {std::string("\x01\x02\x00\xff", 4), std::string(300, 'e')};
  const std::string text = certificate_to_json(cert, set);
  EXPECT_NE(text.find("\"010200ff\""), std::string::npos) << text.substr(0, 400);
  const auto back = certificate_from_json(text);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back.value().certificate, cert);
  // The commits signed the batch without the evidence: with it, the signatures do not check.
  EXPECT_FALSE(check_certificate(back.value().certificate, set).has_value());
  for (const std::string& bad : {replaced(text, "\"010200ff\"", "\"0102zz\""), replaced(text, "\"010200ff\"", "\"010\""),
                                 replaced(text, "\"010200ff\"", "\"\""), replaced(text, "\"010200ff\"", "7")}) {
    EXPECT_EQ(certificate_from_json(bad).error().code, json_error_code::schema) << bad.substr(0, 300);
  }
}

TEST(JsonFormat, ACertificateOfABatchCarryingParticipationRoundTrips) {
  const validator_set set = simulation_validators(4);
  quorum_certificate cert = a_certificate();
  cert.committed.participation = {{7, 1, {{0, signature{}}, {3, signature{}}}}, {8, 0, {}}};
  cert.committed.participation[0].commits[1].sig[5] = 0xab;
  const std::string text = certificate_to_json(cert, set);
  EXPECT_NE(text.find("\"participation\""), std::string::npos) << text.substr(0, 400);
  const auto back = certificate_from_json(text);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back.value().certificate, cert);
  // A record that is not hex, or is a truncated or over-long one, is refused.
  // Sequence 8, view 0, no commit: u64, u64, u32, little-endian.
  const std::string full = "\"08" + std::string(14 + 16 + 8, '0') + "\"";
  const std::string cut = full.substr(0, full.size() - 3) + "\"";  // the count one byte short
  ASSERT_NE(text.find(full), std::string::npos) << text.substr(0, 600);
  for (const std::string& bad : {replaced(text, full, cut), replaced(text, full, "\"zz\""),
                                 replaced(text, full, full.substr(0, full.size() - 1) + "00\"")}) {
    EXPECT_EQ(certificate_from_json(bad).error().code, json_error_code::schema) << bad.substr(0, 300);
  }
}

TEST(JsonFormat, MalformedFilesAreRefusedWithAReason) {
  const std::string set = validators_to_json(simulation_validators(4));
  const std::string cert = certificate_to_json(a_certificate(), simulation_validators(4));
  using code = json_error_code;
  EXPECT_EQ(validators_from_json("{").error().code, code::syntax);
  EXPECT_EQ(validators_from_json("[]").error().code, code::schema);
  EXPECT_EQ(validators_from_json(replaced(set, "\"stake\"", "\"stakes\"")).error().code, code::schema);
  EXPECT_EQ(validators_from_json(replaced(set, "ciro.validators.v1", "v0")).error().code, code::schema);
  EXPECT_EQ(validators_from_json(replaced(set, "\"reputation\": 100", "\"reputation\": 101")).error().code,
            code::schema);
  EXPECT_EQ(validators_from_json(replaced(set, "\"stake\": 1000", "\"stake\": -1")).error().code, code::schema);
  EXPECT_EQ(validators_from_json(replaced(set, "\"stake\": 1000", "\"stake\": \"1000\"")).error().code, code::schema);
  EXPECT_EQ(validators_from_json(R"({"format": "ciro.validators.v1", "validators": []})").error().code,
            code::invalid_set);
  EXPECT_EQ(certificate_from_json(replaced(cert, "\"view\"", "\"views\"")).error().code, code::schema);
  EXPECT_EQ(certificate_from_json(replaced(cert, "\"signature\": \"", "\"signature\": \"00")).error().code,
            code::schema);
  EXPECT_EQ(certificate_from_json(replaced(cert, "\"valid\": ", "\"valid\": 1, \"x\": ")).error().code, code::schema);
  EXPECT_EQ(certificate_from_json(replaced(cert, "\"validator\": ", "\"validator\": 99999")).error().code,
            code::schema);
  EXPECT_EQ(certificate_from_json(std::string(max_json_bytes + 1, ' ')).error().code, code::too_large);
}

}  // namespace
}  // namespace ciro::consensus
