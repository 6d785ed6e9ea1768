-- Copy every table, view and constraint of `src` into `dst`.
COPY FROM DATABASE src TO dst;
