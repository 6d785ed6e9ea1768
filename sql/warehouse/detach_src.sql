DETACH src;
