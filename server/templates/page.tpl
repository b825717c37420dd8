{{%AUTOESCAPE context="HTML"}}
{{!
  Every page: the head, the masthead with the search box, the page's own
  content (CONTENT: home.tpl, results.tpl, article.tpl or error.tpl) and the
  autocomplete script. Values are escaped for where they stand; only
  variables marked :none are inserted as they are (the style, the script,
  and *_HTML values, which are escaped text with <mark>).
}}
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{{TITLE}}</title>
<style>{{STYLE:none}}</style>
</head><body>
{{! The search box comes first in the page (the first Tab reaches it); the name is drawn before it. }}
<header role="banner" class="masthead"><div class="bar">
<form action="/search" method="get" role="search">
<label for="q" class="visually-hidden">Search articles</label>
<input type="search" id="q" name="q" list="suggestions" autocomplete="off" value="{{QUERY}}"><datalist id="suggestions"></datalist><button type="submit">Search</button>
</form>
<a class="site" href="/search">{{SITE}}</a>
</div></header>
{{>CONTENT}}
<script>{{SCRIPT:none}}</script>
</body></html>
