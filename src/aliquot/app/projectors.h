// The projectors of every business area, composed: what a Store is opened with. A new area adds
// its projector here and nowhere else.
#pragma once

#include <memory>

#include "aliquot/app/projection.h"

namespace aliquot::app {

std::unique_ptr<Projector> MakeAllProjectors();

}  // namespace aliquot::app
