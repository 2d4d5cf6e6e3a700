#include "core/cell.hpp"

#include <gtest/gtest.h>

namespace winston {
namespace {

// The strings are stored and shown by the API, so each must read back as the state it came from.
TEST(CellState, EveryStateRoundTripsThroughItsStoredString) {
  for (const auto s : {CellState::kPending, CellState::kProvisioning, CellState::kRunning, CellState::kDegraded,
                       CellState::kStopping, CellState::kStopped, CellState::kDeleting, CellState::kDeleted,
                       CellState::kFailed}) {
    EXPECT_EQ(parse_cell_state(to_string(s)), s) << to_string(s);
  }
  EXPECT_EQ(to_string(CellState::kProvisioning), "provisioning");
  EXPECT_EQ(parse_cell_state("Running"), std::nullopt);
  EXPECT_EQ(parse_cell_state(""), std::nullopt);
}

TEST(DesiredState, IsRunningStoppedOrDeletedAndSettlesInTheSameNamedState) {
  for (const auto d : {DesiredState::kRunning, DesiredState::kStopped, DesiredState::kDeleted}) {
    EXPECT_EQ(parse_desired_state(to_string(d)), d);
    EXPECT_EQ(to_string(settled_state(d)), to_string(d));
  }
  EXPECT_EQ(parse_desired_state("pending"), std::nullopt) << "a wish is never an intermediate state";
  EXPECT_EQ(parse_desired_state("failed"), std::nullopt);
}

}  // namespace
}  // namespace winston
