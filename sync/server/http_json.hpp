#pragma once
// The scan JSON codec moved to the core (shared/scan_json.hpp) so the server and the kiosk's
// sync client share one codec; these names keep the server's code and tests unchanged.
#include "shared/scan_json.hpp"

namespace muster::server {

using muster::BodyError;
using muster::BodyErrorKind;
using muster::kMaxIdLength;
using muster::kMaxScansPerBatch;
using muster::kMaxTextLength;
using muster::parse_provision_request;
using muster::parse_scan_batch;
using muster::ProvisionRequest;
using muster::scan_batch_to_json;
using muster::scan_to_json;
using muster::ScanBatch;
using muster::to_string;

} // namespace muster::server
