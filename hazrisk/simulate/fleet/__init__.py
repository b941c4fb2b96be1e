"""The simulated fleet's actors and what the registry says about them.

``actors`` (providers, makers, insurers, enterprises, vehicles, drivers: :func:`make_fleet`),
``profiles`` (providers' and makers' quality profiles), ``identity`` (names, ID numbers,
VINs, plates, phones), ``geo`` (Zhejiang cities, chemical parks, road network) and
``registry_files`` (the registry as a provider exports it, with defects, and the fences).
"""
