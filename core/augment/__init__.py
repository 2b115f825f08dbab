"""Augmentation: the transform catalogue (`catalogue`, torch-free), the AutoAugment-family policies
(`policies`), seeded sampling of torchvision v2 pipelines (`transforms`) and the drawn grids (`grid`)."""
