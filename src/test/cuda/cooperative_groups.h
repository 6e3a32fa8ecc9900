// The emulator's cooperative groups: the grid as a whole and its barrier (see emulator.h).
#pragma once

namespace cooperative_groups {
struct grid_group {
    void sync() {
        emulator_grid_sync();
    }
};

static inline grid_group this_grid() {
    return grid_group{};
}
}  // namespace cooperative_groups
