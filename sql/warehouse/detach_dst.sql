DETACH dst;
