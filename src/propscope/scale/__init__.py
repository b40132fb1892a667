"""Scale-out engines for batch analysis (Ray); imported only when asked for."""
