"""A class in the gallery (issue 29): its store on SQLite or PostgreSQL (`store`), the schema and its
migrations (`schema`), the class codes and teacher secrets (`codes`) and the checks on every input a
student or teacher sends (`checks`). Plain Python: no Gradio, no torch."""
