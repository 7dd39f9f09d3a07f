"""OGC API – Features (Part 1 Core, Part 2 CRS by reference) under /ogc/: a collection per level."""
