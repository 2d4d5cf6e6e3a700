#pragma once
// The port these backends implement belongs to the layer that calls it
// (services/provisioner.hpp); its vocabulary is imported here, once, so the
// backends read in their own namespace.

#include "services/provisioner.hpp"

namespace winston::cells {

using services::CellSpec;
using services::ExternalIds;
using services::Observation;
using services::Phase;
using services::Provisioner;
using services::Recorder;

}  // namespace winston::cells
