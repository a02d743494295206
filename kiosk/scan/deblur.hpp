#pragma once
// Deconvolution of a candidate code region (issue 19): motion blur undone by a Wiener filter,
// so the decoder's last region pass can read badges the camera smeared. It works on the code's
// region only (a few hundred pixels a side), row by row with a small FFT: cheap enough to run
// on the frames every other pass missed.
#include <vector>

#include "kiosk/scan/gray_image.hpp"

namespace muster::kiosk {

// The direction a region was smeared in, from its structure tensor. A QR code has as much edge
// energy along one of its axes as along the other, so its tensor is round whatever its rotation;
// motion blur flattens the gradients along the motion, which leaves the tensor elongated across
// it. `degrees`: the motion's direction (0 = along x, 90 = along y, image coordinates, 0..180);
// `anisotropy`: (l1 - l2) / (l1 + l2) of the tensor's eigenvalues, 0 for a round tensor (sharp
// or defocused), towards 1 for a strong smear.
struct MotionEstimate {
  double degrees = 0;
  double anisotropy = 0;
};
MotionEstimate estimate_motion(ImageView region);

// The region turned by -`degrees` (bilinear, the smear now runs along the rows) and deconvolved
// row by row for a box of each of `lengths` pixels: a Wiener filter with noise-to-signal ratio
// `nsr` (larger: smoother, less ringing on noisy frames). The rotation and the forward
// transforms are shared, so each extra length costs one filter and one inverse transform. The
// results stay rotated, which a QR reader does not mind; an empty image for a length under 2,
// nothing for an empty region.
std::vector<GrayImage> deblur_motion(ImageView region, double degrees,
                                     const std::vector<double>& lengths, double nsr);

} // namespace muster::kiosk
