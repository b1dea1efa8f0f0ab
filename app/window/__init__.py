"""The main window, its actions and menus, and its view modes."""
