"""The BI dashboard (`chipcast dashboard`): a Streamlit app on the published warehouse.

`chipcast.dashboard.data` reads the file read-only and reconnects when a publish replaces it;
`chipcast.dashboard.app` is the Streamlit script (it imports streamlit, which is heavy: nothing
else imports it)."""
